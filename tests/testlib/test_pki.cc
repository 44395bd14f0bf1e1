#include "tests/testlib/test_pki.h"

#include <fstream>

#include "tests/testlib/testlib.h"

namespace gantry::testlib {

void TestPki::Run(const std::vector<std::string>& argv) {
  auto r = RunCommand(argv);
  if (r.exit_code != 0) error_ += argv[1] + " " + argv[2] + ": " + r.err + "\n";
}

void TestPki::MakeCa(const std::string& name) {
  Run({"openssl",
       "req",
       "-x509",
       "-newkey",
       "ec",
       "-pkeyopt",
       "ec_paramgen_curve:prime256v1",
       "-nodes",
       "-keyout",
       Key(name),
       "-out",
       Cert(name),
       "-days",
       "2",
       "-subj",
       "/CN=gantry test " + name,
       "-addext",
       "basicConstraints=critical,CA:TRUE",
       "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"});
}

void TestPki::MakeLeaf(const std::string& name, const std::string& ca, const std::string& subject,
                       const std::string& extensions) {
  std::ofstream(Path(name + ".ext")) << extensions;
  Run({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", Key(name), "-out", Path(name + ".csr"), "-subj", subject});
  Run({"openssl", "x509", "-req", "-in", Path(name + ".csr"), "-CA", Cert(ca), "-CAkey", Key(ca),
       "-CAcreateserial", "-out", Cert(name), "-days", "2", "-extfile", Path(name + ".ext")});
}

}  // namespace gantry::testlib
