#pragma once

// Whether an ssh server's host key is one a known_hosts text trusts, so a Sync over ssh talks
// to the server its Secret names and to no one else (libgit2 1.5 checks no host keys itself).
//
// OpenSSH's format: `HOSTS KEYTYPE BASE64KEY [COMMENT]`, HOSTS a comma-separated list of names,
// `[name]:port` for a port other than 22, or hashed (`|1|SALT|HASH`, ssh-keygen -H). A line
// marked @revoked that matches refuses the key; @cert-authority lines, wildcard and negated
// patterns are not used (they never trust a key here).

#include <string_view>

namespace gantry::controllers::sync {

// `key_blob` is the server's public key as the ssh handshake sends it (the decoded BASE64KEY).
bool KnownHostsTrust(std::string_view known_hosts, std::string_view host, int port,
                     std::string_view key_blob);

}  // namespace gantry::controllers::sync
