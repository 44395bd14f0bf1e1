#include "api/service/peer_certificate.h"

#include <openssl/bio.h>
#include <openssl/pem.h>

#include <memory>

namespace gantry::api {
namespace {

// Every entry of `nid` in the subject, as UTF-8.
std::vector<std::string> SubjectEntries(X509* certificate, int nid) {
  std::vector<std::string> out;
  X509_NAME* subject = X509_get_subject_name(certificate);
  if (subject == nullptr) return out;
  for (int i = X509_NAME_get_index_by_NID(subject, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, nid, i)) {
    ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0) continue;
    out.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<size_t>(length));
    OPENSSL_free(utf8);
  }
  return out;
}

}  // namespace

PeerCertificate PeerCertificateOf(X509* certificate) {
  PeerCertificate peer;
  if (certificate == nullptr) return peer;
  auto names = SubjectEntries(certificate, NID_commonName);
  // A certificate with several CNs names no one in particular.
  if (names.size() == 1) peer.common_name = names[0];
  peer.organizations = SubjectEntries(certificate, NID_organizationName);
  return peer;
}

StatusOr<PeerCertificate> PeerCertificateFromPem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return Status(Code::kInternal, "cannot read the client certificate");
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return Status(Code::kUnauthenticated, "the client certificate is not valid PEM");
  return PeerCertificateOf(cert.get());
}

}  // namespace gantry::api
