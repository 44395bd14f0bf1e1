#pragma once

// Transport-neutral HTTP request and response values, so the REST mapping can be tested without
// a socket and the HTTP library can be swapped by changing one file (rest_server.cc).

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "api/service/object_service.h"

namespace gantry::rest {

struct HttpRequest {
  std::string method;     // GET, PUT, POST, PATCH, DELETE
  std::string path;       // decoded, without the query
  std::string raw_path;   // as on the wire (percent-encoded), for signature checks
  std::string raw_query;  // as on the wire, without the '?'
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  std::string body;
  // Set for a watch: the server streams its events as newline-delimited JSON instead of `body`.
  std::unique_ptr<api::ObjectWatch> watch;
  std::string watch_kind;  // for BOOKMARK objects
  // Set for any other stream (a task's output): the server calls it until it returns kEnd,
  // sending what it appends to `chunk`; kIdle means nothing new yet (asked again shortly).
  enum class StreamPoll { kData, kIdle, kEnd };
  std::function<StreamPoll(std::string& chunk)> stream;
};

}  // namespace gantry::rest
