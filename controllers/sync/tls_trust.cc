#include "controllers/sync/tls_trust.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

namespace gantry::controllers::sync {
namespace {

struct Free {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};

}  // namespace

api::Status CertificateTrusted(std::string_view der, std::string_view host,
                               std::string_view ca_pem) {
  auto refuse = [&](const std::string& why) {
    return api::Status(api::Code::kPermissionDenied,
                       "the certificate of " + std::string(host) + " " + why);
  };
  const auto* data = reinterpret_cast<const unsigned char*>(der.data());
  std::unique_ptr<X509, Free> leaf(d2i_X509(nullptr, &data, static_cast<long>(der.size())));
  if (!leaf) return refuse("cannot be read");
  std::unique_ptr<X509_STORE, Free> store(X509_STORE_new());
  std::unique_ptr<BIO, Free> bio(BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size())));
  int cas = 0;
  while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    X509_STORE_add_cert(store.get(), ca);
    X509_free(ca);
    ++cas;
  }
  if (cas == 0) return refuse("cannot be checked: ca.crt holds no PEM certificate");
  std::unique_ptr<X509_STORE_CTX, Free> ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), nullptr) != 1)
    return refuse("cannot be checked");
  X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
  const std::string name(host);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) != 1 &&
      X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) != 1) {
    return refuse("cannot be checked against that name");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    return refuse(std::string("is not trusted by the Secret's ca.crt: ") +
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
  }
  return {};
}

}  // namespace gantry::controllers::sync
