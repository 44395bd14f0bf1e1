#include "api/status/status.h"

namespace gantry::api {

int HttpStatus(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kCancelled:
      return 499;
    case Code::kInvalidArgument:
      return 400;
    case Code::kDeadlineExceeded:
      return 504;
    case Code::kNotFound:
      return 404;
    case Code::kAlreadyExists:
    case Code::kAborted:
      return 409;
    case Code::kPermissionDenied:
      return 403;
    case Code::kResourceExhausted:
      return 413;
    case Code::kFailedPrecondition:
      return 412;
    case Code::kOutOfRange:
      return 410;
    case Code::kUnimplemented:
      return 501;
    case Code::kUnavailable:
      return 503;
    case Code::kUnauthenticated:
      return 401;
    case Code::kUnknown:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

const char* HttpReason(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kCancelled:
      return "Cancelled";
    case Code::kInvalidArgument:
      return "Invalid";
    case Code::kDeadlineExceeded:
      return "Timeout";
    case Code::kNotFound:
      return "NotFound";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kAborted:
      return "Conflict";
    case Code::kPermissionDenied:
      return "Forbidden";
    case Code::kResourceExhausted:
      return "RequestEntityTooLarge";
    case Code::kFailedPrecondition:
      return "PreconditionFailed";
    case Code::kOutOfRange:
      return "Gone";
    case Code::kUnimplemented:
      return "NotImplemented";
    case Code::kUnavailable:
      return "ServiceUnavailable";
    case Code::kUnauthenticated:
      return "Unauthorized";
    case Code::kUnknown:
    case Code::kInternal:
      return "InternalError";
  }
  return "InternalError";
}

}  // namespace gantry::api
