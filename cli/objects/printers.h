#pragma once

// Output formats for get: an aligned table (default and wide), yaml, json and name.

#include <google/protobuf/message.h>

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "api/schema/kinds.h"

namespace gantry::cli {

enum class OutputFormat { kTable, kWide, kYaml, kJson, kName };

// Rows for a table of `kind`; the first row is the header.
std::vector<std::vector<std::string>> TableRows(
    const schema::KindInfo& kind, const std::vector<const google::protobuf::Message*>& objects,
    bool wide, bool header = true);
void PrintRows(const std::vector<std::vector<std::string>>& rows, std::ostream& out);

// "2m", "5h", "3d" since an RFC 3339 time, "<unknown>" if it cannot be read.
std::string Age(const std::string& rfc3339);

// The value at a dotted JSON path of the object ("spec.desiredCount"), as text; "" if absent.
std::string FieldText(const google::protobuf::Message& object, const std::string& path);

// A copy without metadata.managedFields: who owns which field is noise in get and diff unless
// asked for (get --show-managed-fields), as in kubectl.
std::unique_ptr<google::protobuf::Message> WithoutManagedFields(
    const google::protobuf::Message& object);

}  // namespace gantry::cli
