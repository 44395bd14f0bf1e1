#pragma once

// Whether an https server's certificate chains to a CA a Sync's Secret names (ca.crt), for
// repositories behind a private CA that gantryd's machine does not trust.

#include <string_view>

#include "api/status/status.h"

namespace gantry::controllers::sync {

// `der` is the server's own certificate (libgit2 hands over no intermediates, so the CA must
// have signed it directly or the bundle must hold the intermediates too); `host` must be one of
// its names (or IP addresses). kPermissionDenied says why not.
api::Status CertificateTrusted(std::string_view der, std::string_view host,
                               std::string_view ca_pem);

}  // namespace gantry::controllers::sync
