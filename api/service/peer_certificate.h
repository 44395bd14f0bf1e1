#pragma once

// The identity in a client certificate that the TLS layer has already verified: the subject's
// common name and organizations (see Authorizer for how they map to a user and a role).

#include <openssl/x509.h>

#include <string_view>

#include "api/service/authorizer.h"
#include "api/status/status.h"

namespace gantry::api {

PeerCertificate PeerCertificateOf(X509* certificate);
// From a PEM certificate (gRPC hands the verified peer's certificate over as PEM).
StatusOr<PeerCertificate> PeerCertificateFromPem(std::string_view pem);

}  // namespace gantry::api
