#include "controllers/sync/git_source.h"

#include <git2.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "api/codec/object_codec.h"
#include "controllers/sync/known_hosts.h"
#include "controllers/sync/tls_trust.h"

namespace gantry::controllers::sync {
namespace {

using api::Code;
using api::Status;
using Clock = std::chrono::steady_clock;

// libgit2 objects freed by their own function when they go.
template <typename T, void (*Free)(T*)>
class Owned {
 public:
  Owned() = default;
  ~Owned() {
    if (p_) Free(p_);
  }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  T** out() { return &p_; }
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
};
using Repository = Owned<git_repository, git_repository_free>;
using Remote = Owned<git_remote, git_remote_free>;
using Commit = Owned<git_commit, git_commit_free>;
using Tree = Owned<git_tree, git_tree_free>;
using TreeEntry = Owned<git_tree_entry, git_tree_entry_free>;
using Blob = Owned<git_blob, git_blob_free>;
using Object = Owned<git_object, git_object_free>;

// A URL's user information (a token in https://user:token@host/…) never reaches a message.
std::string Redacted(std::string text) {
  for (size_t scheme = text.find("://"); scheme != std::string::npos;
       scheme = text.find("://", scheme + 3)) {
    const size_t host = scheme + 3;
    const size_t end = text.find_first_of("/ \t\n'\"", host);
    const size_t at = text.rfind('@', end == std::string::npos ? text.size() : end);
    if (at != std::string::npos && at >= host) text.replace(host, at + 1 - host, "***@");
  }
  return text;
}

std::string LastError() {
  const git_error* e = git_error_last();
  return Redacted(e && e->message ? e->message : "unknown libgit2 error");
}

std::string CacheName(const std::string& url) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(url.data(), url.size(), digest, &size, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string name;
  for (unsigned int i = 0; i < 16 && i < size; ++i) {
    name += kHex[digest[i] >> 4];
    name += kHex[digest[i] & 15];
  }
  return name + ".git";
}

bool IsCommitId(const std::string& ref) {
  return ref.size() == GIT_OID_HEXSZ &&
         ref.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Status CheckSpec(const GitSourceSpec& spec) {
  if (spec.url.empty()) return api::InvalidArgument("spec.git.url", "is required");
  if (spec.ref.empty()) return api::InvalidArgument("spec.git.ref", "is required");
  if (spec.ref.find("..") != std::string::npos || spec.ref.front() == '-' ||
      spec.ref.find_first_of(" ~^:?*[\\") != std::string::npos) {
    return api::InvalidArgument("spec.git.ref",
                                "is not a branch, tag or commit id: '" + spec.ref + "'");
  }
  if (!spec.path.empty() && spec.path.front() == '/')
    return api::InvalidArgument("spec.git.path", "must be relative to the repository's root");
  for (std::string_view rest = spec.path; !rest.empty();) {
    const size_t slash = rest.find('/');
    std::string_view part = rest.substr(0, slash);
    if (part == "..") {
      return api::InvalidArgument("spec.git.path", "may not leave the repository ('..')");
    }
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  return {};
}

// What libgit2's callbacks of one fetch share.
struct FetchContext {
  size_t max_bytes;
  Clock::time_point deadline;
  const GitCredentials& credentials;
  int ssh_port = 22;
  std::string exceeded = {};    // which bound stopped the fetch
  std::string refused = {};     // why the credentials or the server were refused
  bool server_refused = false;  // the server was not the one the Secret trusts
  unsigned int offered = 0;     // the credential types already given (each is offered once)
};

// libgit2's progress callbacks: -1 stops the fetch.
int PastDeadline(FetchContext& fetch) {
  if (Clock::now() <= fetch.deadline) return 0;
  fetch.exceeded = "the fetch took longer than its time limit";
  return -1;
}

int OnTransfer(const git_indexer_progress* stats, void* payload) {
  auto& fetch = *static_cast<FetchContext*>(payload);
  if (stats->received_bytes > fetch.max_bytes) {
    fetch.exceeded = "the fetch passed " + std::to_string(fetch.max_bytes >> 20) + " MiB";
    return -1;
  }
  return PastDeadline(fetch);
}

int OnSideband(const char*, int, void* payload) {
  return PastDeadline(*static_cast<FetchContext*>(payload));
}

// Credentials for what the server asks, each kind once: asked again means refused.
int OnCredentials(git_credential** out, const char*, const char* user_from_url,
                  unsigned int allowed, void* payload) {
  auto& fetch = *static_cast<FetchContext*>(payload);
  const GitCredentials& c = fetch.credentials;
  const char* ssh_user = user_from_url && *user_from_url ? user_from_url : "git";
  auto offer = [&](unsigned int type) {
    if (fetch.offered & type) {
      fetch.refused = "the repository refused the credentials of the Secret";
      return false;
    }
    fetch.offered |= type;
    return true;
  };
  if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && !c.password.empty()) {
    if (!offer(GIT_CREDENTIAL_USERPASS_PLAINTEXT)) return GIT_EAUTH;
    return git_credential_userpass_plaintext_new(
        out, c.username.empty() ? "git" : c.username.c_str(), c.password.c_str());
  }
  if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !c.identity.empty()) {
    if (!offer(GIT_CREDENTIAL_SSH_KEY)) return GIT_EAUTH;
    return git_credential_ssh_key_memory_new(out, ssh_user, nullptr, c.identity.c_str(), nullptr);
  }
  if (allowed & GIT_CREDENTIAL_USERNAME) {
    if (!offer(GIT_CREDENTIAL_USERNAME)) return GIT_EAUTH;
    return git_credential_username_new(out, ssh_user);
  }
  fetch.refused = (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
                      ? "the repository asks for a username and password (or token), and the "
                        "Sync's Secret holds none"
                      : "the repository asks for an ssh key, and the Sync's Secret holds none";
  return GIT_EAUTH;
}

// The server must be the one the Secret trusts: its host key in known_hosts (ssh), or its
// certificate from the Secret's CA when the system's CAs do not vouch for it (https).
int OnCertificate(git_cert* cert, int valid, const char* host, void* payload) {
  auto& fetch = *static_cast<FetchContext*>(payload);
  const GitCredentials& c = fetch.credentials;
  if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2) {
    const auto* key = reinterpret_cast<const git_cert_hostkey*>(cert);
    if (c.known_hosts.empty()) {
      fetch.refused = "an ssh repository needs known_hosts in the Sync's Secret";
      fetch.server_refused = true;
      return GIT_ECERTIFICATE;
    }
    if (!(key->type & GIT_CERT_SSH_RAW) ||
        !KnownHostsTrust(c.known_hosts, host, fetch.ssh_port,
                         std::string_view(key->hostkey, key->hostkey_len))) {
      fetch.refused = std::string("the host key of ") + host +
                      " is not in the known_hosts of the Sync's Secret";
      fetch.server_refused = true;
      return GIT_ECERTIFICATE;
    }
    return 0;
  }
  if (cert->cert_type == GIT_CERT_X509) {
    if (valid) return 0;
    if (c.ca_pem.empty()) return GIT_PASSTHROUGH;  // libgit2 refuses it with its reason
    const auto* x509 = reinterpret_cast<const git_cert_x509*>(cert);
    Status trusted = CertificateTrusted(
        std::string_view(static_cast<const char*>(x509->data), x509->len), host, c.ca_pem);
    if (!trusted.ok()) {
      fetch.refused = trusted.message();
      fetch.server_refused = true;
      return GIT_ECERTIFICATE;
    }
    return 0;
  }
  return GIT_PASSTHROUGH;
}

// ssh://[user@]host[:port]/path or scp's [user@]host:path.
bool IsSsh(std::string_view url) {
  if (url.starts_with("ssh://") || url.starts_with("git+ssh://") || url.starts_with("ssh+git://"))
    return true;
  if (url.find("://") != std::string_view::npos || url.starts_with("/") || url.starts_with("."))
    return false;
  const size_t colon = url.find(':');
  return colon != std::string_view::npos && colon > 0 &&
         url.substr(0, colon).find('/') == std::string_view::npos;
}

int SshPort(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return 22;
  std::string_view authority = url.substr(scheme + 3);
  authority = authority.substr(0, authority.find('/'));
  authority.remove_prefix(
      authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1);
  const size_t colon = authority.rfind(':');
  if (colon == std::string_view::npos || authority.ends_with("]")) return 22;
  int port = 0;
  for (char ch : authority.substr(colon + 1)) {
    if (ch < '0' || ch > '9' || port > 65535) return 22;
    port = port * 10 + (ch - '0');
  }
  return port > 0 && port <= 65535 ? port : 22;
}

// Credentials go where they are protected on the wire, and ssh only to a server it can check.
Status CheckCredentials(const GitSourceSpec& spec) {
  const GitCredentials& c = spec.credentials;
  const bool plain_http = spec.url.starts_with("http://");
  if (plain_http && (!c.password.empty() || !c.username.empty())) {
    return api::InvalidArgument("spec.git.url",
                                "credentials are sent over https or ssh only, not http://");
  }
  if (IsSsh(spec.url) && c.known_hosts.empty()) {
    return api::InvalidArgument("spec.git.secretRef",
                                "an ssh repository needs known_hosts in the Sync's Secret (the "
                                "server's host key, so the Sync talks to no one else)");
  }
  return {};
}

// The commit `ref` names in the fetched repository: a branch, a tag (peeled), or a commit id.
api::StatusOr<git_oid> Resolve(git_repository* repo, const std::string& ref) {
  for (const std::string& name : {"refs/remotes/origin/" + ref, "refs/tags/" + ref}) {
    git_oid id;
    if (git_reference_name_to_id(&id, repo, name.c_str()) != 0) continue;
    Object object, peeled;
    if (git_object_lookup(object.out(), repo, &id, GIT_OBJECT_ANY) != 0 ||
        git_object_peel(peeled.out(), object.get(), GIT_OBJECT_COMMIT) != 0) {
      return Status(Code::kNotFound, "'" + ref + "' does not name a commit: " + LastError(),
                    "spec.git.ref");
    }
    return *git_object_id(peeled.get());
  }
  if (IsCommitId(ref)) {
    git_oid id;
    Commit commit;
    if (git_oid_fromstr(&id, ref.c_str()) == 0 && git_commit_lookup(commit.out(), repo, &id) == 0) {
      return id;
    }
  }
  return Status(Code::kNotFound, "no branch, tag or commit '" + ref + "' in the repository",
                "spec.git.ref");
}

class ManifestReader {
 public:
  ManifestReader(git_repository* repo, const GitLimits& limits) : repo_(repo), limits_(limits) {}

  Status ReadTree(const git_tree* tree, const std::string& prefix, int depth) {
    if (depth > limits_.max_depth) {
      return Status(
          Code::kResourceExhausted,
          prefix + " is nested deeper than " + std::to_string(limits_.max_depth) + " directories",
          "spec.git.path");
    }
    const size_t count = git_tree_entrycount(tree);
    for (size_t i = 0; i < count; ++i) {
      const git_tree_entry* entry = git_tree_entry_byindex(tree, i);
      const std::string path = prefix + git_tree_entry_name(entry);
      switch (git_tree_entry_filemode(entry)) {
        case GIT_FILEMODE_TREE: {
          Tree sub;
          if (git_tree_lookup(sub.out(), repo_, git_tree_entry_id(entry)) != 0)
            return Status(Code::kUnavailable, "reading " + path + ": " + LastError());
          if (Status st = ReadTree(sub.get(), path + "/", depth + 1); !st.ok()) return st;
          break;
        }
        case GIT_FILEMODE_BLOB:
        case GIT_FILEMODE_BLOB_EXECUTABLE:
          if (codec::IsManifestFileName(path)) {
            if (Status st = ReadBlob(git_tree_entry_id(entry), path); !st.ok()) return st;
          }
          break;
        default:  // symbolic links and submodules are not followed
          break;
      }
    }
    return {};
  }

  Status ReadBlob(const git_oid* id, const std::string& path) {
    if (files_.size() >= limits_.max_files) {
      return Status(Code::kResourceExhausted,
                    "more than " + std::to_string(limits_.max_files) + " manifest files",
                    "spec.git.path");
    }
    Blob blob;
    if (git_blob_lookup(blob.out(), repo_, id) != 0)
      return Status(Code::kUnavailable, "reading " + path + ": " + LastError());
    const auto size = static_cast<size_t>(git_blob_rawsize(blob.get()));
    if (size > limits_.max_file_bytes) {
      return Status(Code::kResourceExhausted,
                    path + " is " + std::to_string(size) + " bytes, more than " +
                        std::to_string(limits_.max_file_bytes),
                    "spec.git.path");
    }
    total_ += size;
    if (total_ > limits_.max_total_bytes) {
      return Status(Code::kResourceExhausted,
                    "the manifests pass " + std::to_string(limits_.max_total_bytes) + " bytes",
                    "spec.git.path");
    }
    files_.push_back(
        {path, std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), size)});
    return {};
  }

  std::vector<ManifestFile> take() { return std::move(files_); }

 private:
  git_repository* repo_;
  const GitLimits& limits_;
  std::vector<ManifestFile> files_;
  size_t total_ = 0;
};

}  // namespace

GitSource::GitSource(std::string cache_dir, GitLimits limits)
    : cache_dir_(std::move(cache_dir)), limits_(limits) {
  git_libgit2_init();
}

GitSource::~GitSource() { git_libgit2_shutdown(); }

std::mutex& GitSource::LockFor(const std::string& url) {
  std::lock_guard lock(locks_mu_);
  auto& mu = locks_[url];
  if (!mu) mu = std::make_unique<std::mutex>();
  return *mu;
}

api::StatusOr<FetchedTree> GitSource::Fetch(const GitSourceSpec& spec) {
  if (Status st = CheckSpec(spec); !st.ok()) return st;
  if (Status st = CheckCredentials(spec); !st.ok()) return st;
  std::lock_guard fetching(LockFor(spec.url));
  std::error_code ec;
  std::filesystem::create_directories(cache_dir_, ec);
  if (ec || ::chmod(cache_dir_.c_str(), 0700) != 0) {
    return Status(Code::kUnavailable, "cannot make the Git cache " + cache_dir_ + ": " +
                                          (ec ? ec.message() : std::strerror(errno)));
  }
  const std::string dir = cache_dir_ + "/" + CacheName(spec.url);
  Repository repo;
  if (git_repository_open_bare(repo.out(), dir.c_str()) != 0 &&
      git_repository_init(repo.out(), dir.c_str(), /*is_bare=*/1) != 0) {
    return Status(Code::kUnavailable, "cannot make the Git cache " + dir + ": " + LastError());
  }

  // The URL as the Sync gives it: no url.*.insteadOf rewriting from gantryd's user's or the
  // machine's Git config. (libgit2 1.5 reading those rules also leaks a regex match per config
  // entry, about 20 KiB each, on every fetch.)
  Remote remote;
  git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
  create.repository = repo.get();
  create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
  if (git_remote_create_with_opts(remote.out(), spec.url.c_str(), &create) != 0) {
    return api::InvalidArgument(
        "spec.git.url", "'" + Redacted(spec.url) + "' is not a repository URL: " + LastError());
  }
  FetchContext fetch{limits_.max_fetch_bytes, Clock::now() + limits_.fetch_timeout,
                     spec.credentials, SshPort(spec.url)};
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.callbacks.transfer_progress = OnTransfer;
  options.callbacks.sideband_progress = OnSideband;
  options.callbacks.credentials = OnCredentials;
  options.callbacks.certificate_check = OnCertificate;
  options.callbacks.payload = &fetch;
  options.prune = GIT_FETCH_PRUNE;
  options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // the refspec below takes them all
  char heads[] = "+refs/heads/*:refs/remotes/origin/*";
  char tags[] = "+refs/tags/*:refs/tags/*";
  char* refspecs[] = {heads, tags};
  const git_strarray wanted = {refspecs, 2};
  if (git_remote_fetch(remote.get(), &wanted, &options, "gantry sync") != 0) {
    if (!fetch.exceeded.empty())
      return Status(Code::kResourceExhausted,
                    "fetching " + Redacted(spec.url) + ": " + fetch.exceeded);
    if (!fetch.refused.empty()) {
      return Status(fetch.server_refused ? Code::kPermissionDenied : Code::kUnauthenticated,
                    "fetching " + Redacted(spec.url) + ": " + fetch.refused);
    }
    return Status(Code::kUnavailable, "fetching " + Redacted(spec.url) + ": " + LastError());
  }

  auto id = Resolve(repo.get(), spec.ref);
  if (!id.ok()) return id.status();
  Commit commit;
  Tree root;
  if (git_commit_lookup(commit.out(), repo.get(), &*id) != 0 ||
      git_commit_tree(root.out(), commit.get()) != 0) {
    return Status(Code::kUnavailable, "reading commit " + spec.ref + ": " + LastError());
  }
  FetchedTree fetched;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &*id);
  fetched.commit = hex;

  ManifestReader reader(repo.get(), limits_);
  std::string path = spec.path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty() || path == ".") {
    if (Status st = reader.ReadTree(root.get(), "", 0); !st.ok()) return st;
  } else {
    TreeEntry entry;
    if (git_tree_entry_bypath(entry.out(), root.get(), path.c_str()) != 0) {
      return Status(Code::kNotFound,
                    "no '" + path + "' at " + spec.ref + " (" + fetched.commit.substr(0, 12) + ")",
                    "spec.git.path");
    }
    const git_filemode_t mode = git_tree_entry_filemode(entry.get());
    if (mode == GIT_FILEMODE_TREE) {
      Tree tree;
      if (git_tree_lookup(tree.out(), repo.get(), git_tree_entry_id(entry.get())) != 0)
        return Status(Code::kUnavailable, "reading " + path + ": " + LastError());
      if (Status st = reader.ReadTree(tree.get(), path + "/", 0); !st.ok()) return st;
    } else if (mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE) {
      if (Status st = reader.ReadBlob(git_tree_entry_id(entry.get()), path); !st.ok()) return st;
    } else {
      return api::InvalidArgument("spec.git.path",
                                  "'" + path + "' is neither a directory nor a file");
    }
  }
  fetched.files = reader.take();
  return fetched;
}

}  // namespace gantry::controllers::sync
