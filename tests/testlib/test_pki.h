#pragma once

// For tests: certificate authorities and certificates made at test time with the openssl
// command (EC P-256, valid two days), in one directory.

#include <string>
#include <vector>

namespace gantry::testlib {

class TestPki {
 public:
  explicit TestPki(std::string directory) : dir_(std::move(directory)) {}

  // NAME.crt and NAME.key: a self-signed CA.
  void MakeCa(const std::string& name);
  // NAME.crt and NAME.key signed by `ca`, with `subject` ("/CN=localhost") and the x509v3
  // `extensions` ("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n").
  void MakeLeaf(const std::string& name, const std::string& ca, const std::string& subject,
                const std::string& extensions);

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string Cert(const std::string& name) const { return Path(name + ".crt"); }
  std::string Key(const std::string& name) const { return Path(name + ".key"); }

  // False once an openssl command failed; error() says which and why.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  void Run(const std::vector<std::string>& argv);

  std::string dir_;
  std::string error_;
};

}  // namespace gantry::testlib
