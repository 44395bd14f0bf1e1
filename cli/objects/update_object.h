#pragma once

// A change to one stored object from gantryctl (scale's desiredCount, sync's request
// annotation): read it, edit it, apply it pinned to the version read, and read and edit it
// again when another writer got in between.

#include <google/protobuf/message.h>

#include <functional>
#include <string>

#include "api/client/gantry_client.h"
#include "api/schema/kinds.h"
#include "api/status/status.h"

namespace gantry::cli {

// `change` edits the object as read (its status dropped, its resourceVersion kept); tried at
// most 5 times against conflicting writes. The fields it changes become `field_manager`'s.
api::Status UpdateObject(client::GantryClient& client, const schema::KindInfo& kind,
                         const std::string& name, const std::string& field_manager,
                         const std::function<void(google::protobuf::Message&)>& change);

}  // namespace gantry::cli
