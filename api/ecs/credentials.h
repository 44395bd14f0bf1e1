#pragma once

// The access keys the ECS-compatible endpoint accepts: a file of `ACCESS_KEY_ID,SECRET[,ROLE]`
// lines (blank lines and `#` comments allowed), the pairs a user puts in AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, and the role the key acts with: admin, editor (the default) or viewer.
// Secrets never appear in error messages, so a bad line is named by its number only.

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "api/service/authorizer.h"
#include "api/status/status.h"

namespace gantry::ecs {

class Credentials {
 public:
  // Errors (kInvalidArgument) name the file and line: "creds.csv line 3: expected
  // ACCESS_KEY_ID,SECRET[,ROLE]". A file without any key, or with an access key id listed twice, is
  // an error.
  static api::StatusOr<Credentials> FromFile(const std::string& path);
  // `source` names the text in messages, as the path does for FromFile.
  static api::StatusOr<Credentials> FromText(std::string_view text, const std::string& source);

  struct Key {
    std::string secret;
    api::Role role = api::Role::kEditor;
  };
  // The key of an access key id, or nullptr when the id is not listed.
  const Key* Find(std::string_view access_key_id) const;
  // The secret of an access key id, or nullptr when the id is not listed.
  const std::string* FindSecret(std::string_view access_key_id) const {
    const Key* key = Find(access_key_id);
    return key ? &key->secret : nullptr;
  }
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, Key, std::less<>> keys_;
};

}  // namespace gantry::ecs
