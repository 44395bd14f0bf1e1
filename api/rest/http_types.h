#pragma once

// Transport-neutral HTTP request and response values, so the REST mapping can be tested without
// a socket and the HTTP library can be swapped by changing one file (rest_server.cc).

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "api/service/authorizer.h"
#include "api/service/object_service.h"

namespace gantry::rest {

struct HttpRequest {
  std::string method;     // GET, PUT, POST, PATCH, DELETE
  std::string path;       // decoded, without the query
  std::string raw_path;   // as on the wire (percent-encoded), for signature checks
  std::string raw_query;  // as on the wire, without the '?'
  std::map<std::string, std::string> query;
  // Names in lower case; a header sent more than once is one entry, its values joined with ','.
  std::map<std::string, std::string> headers;
  std::string body;
  // The client certificate, when the connection is TLS with --client-ca-file and the client
  // presented one that verified.
  std::optional<api::PeerCertificate> peer_certificate;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  std::string body;
  // Set for a watch: the server streams its events as newline-delimited JSON instead of `body`.
  std::unique_ptr<api::ObjectWatch> watch;
  std::string watch_kind;  // for BOOKMARK objects
  // Set for a body produced piece by piece (a task's output, a long list): the server calls it
  // on a worker thread until it returns kEnd, sending what it appends to `chunk` before asking
  // for more, so a slow reader holds one piece in memory, not the whole body; kIdle means
  // nothing new yet (asked again shortly). `stream_end` (optional) runs once when the stream is
  // over, whichever side ended it.
  enum class StreamPoll { kData, kIdle, kEnd };
  std::function<StreamPoll(std::string& chunk)> stream;
  std::function<void()> stream_end;
  // True for an endless stream (watch, logs -f), which counts against the per-user stream cap.
  bool long_lived = false;
};

}  // namespace gantry::rest
