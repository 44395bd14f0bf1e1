#pragma once

// One ref of a Git repository, fetched with libgit2 into a cache of bare repositories (one per
// URL, fetched again incrementally), and the manifests under a path of that commit, read from
// the object database without a checkout.
//
//   url, ref ─▶ fetch (heads and tags, bounded in bytes and time) ─▶ the ref's commit
//            ─▶ its tree at `path` ─▶ every .yaml/.yml/.json blob below it, in path order
//
// What a repository can make this read is bounded: the bytes a fetch receives, how long it
// takes, the number and size of manifest files, the depth of directories. Symbolic links and
// submodules are not followed (a link could point out of the path, a submodule at another
// repository).

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/status/status.h"

namespace gantry::controllers::sync {

// A private repository's credentials, as a Sync's Secret holds them (Flux's keys).
struct GitCredentials {
  std::string username;     // https: Basic auth with `password` ("git" when empty)
  std::string password;     // https: a password or an access token
  std::string identity;     // ssh: a private key, OpenSSH or PEM, without a passphrase
  std::string known_hosts;  // ssh: the server keys to trust; an ssh fetch needs it
  std::string ca_pem;       // https: CA certificates to trust besides the system's
  bool empty() const {
    return username.empty() && password.empty() && identity.empty() && known_hosts.empty() &&
           ca_pem.empty();
  }
};

struct GitSourceSpec {
  std::string url;   // https://…, ssh://…, file:///…, or a local path
  std::string ref;   // a branch, a tag, or a full commit id
  std::string path;  // a directory (or one file) in the repository; "" is its root
  // Sent over https and ssh only, never over plain http; never in a message.
  GitCredentials credentials = {};
};

struct GitLimits {
  size_t max_fetch_bytes = size_t{512} << 20;
  std::chrono::seconds fetch_timeout{120};
  size_t max_files = 1000;
  size_t max_file_bytes = size_t{1} << 20;
  size_t max_total_bytes = size_t{16} << 20;
  int max_depth = 16;
};

struct ManifestFile {
  std::string path;  // in the repository, e.g. clusters/prod/web.yaml
  std::string text;
};

struct FetchedTree {
  std::string commit;  // 40 hex digits
  std::vector<ManifestFile> files;
};

class GitSource {
 public:
  // `cache_dir` holds one bare repository per URL; created if missing, readable by its owner
  // only (a fetched repository may hold what its readers may not see).
  explicit GitSource(std::string cache_dir, GitLimits limits = {});
  ~GitSource();
  GitSource(const GitSource&) = delete;
  GitSource& operator=(const GitSource&) = delete;

  // kNotFound: no such ref, or no such path at that commit (the field names which);
  // kUnavailable: the repository could not be reached or read; kResourceExhausted: a limit
  // was passed (the message names it); kInvalidArgument: the spec itself is wrong;
  // kUnauthenticated: the repository refused the credentials or asked for others;
  // kPermissionDenied: the server is not the one the credentials trust (host key, CA).
  // Thread-safe; fetches of one URL take turns (they share its cached repository).
  api::StatusOr<FetchedTree> Fetch(const GitSourceSpec& spec);

 private:
  std::mutex& LockFor(const std::string& url);

  std::string cache_dir_;
  GitLimits limits_;
  std::mutex locks_mu_;
  std::map<std::string, std::unique_ptr<std::mutex>> locks_;  // by URL
};

}  // namespace gantry::controllers::sync
