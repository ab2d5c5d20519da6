// Fuzz target: the Protobuf frame every ZeroMQ message between mailpipe
// processes carries (mailpipe.v1.Frame, proto/mailpipe.proto), and
// smtp::Reply::from_status, which turns a status from another process into
// the reply an SMTP client sees.
//
// Input: one ZeroMQ message body, as a peer (another MTA, a custom MDA, or
// anyone who can reach the socket) may send it. Checks, besides the
// sanitizers:
//  - whatever parses serializes to ByteSizeLong() bytes, and parses back
//    to an equal message whose serialization is the same bytes (a round
//    trip loses and invents nothing, unknown fields included);
//  - every Status in the frame becomes exactly one reply line: a code
//    200..599 and no CR or LF but the CRLF at its end, so a peer cannot
//    inject SMTP reply lines into a client's session.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/smtp/reply.hpp"
#include "mailpipe.pb.h"
#include "tests/fuzz/check.hpp"

namespace {

using mailpipe::v1::Frame;
using mailpipe::v1::Status;

void check_status(const Status& status) {
  const auto reply = mailpipe::smtp::Reply::from_status(status);
  FUZZ_CHECK(reply.code >= 200 && reply.code <= 599, "a status from a peer becomes a 2xx..5xx reply");
  const std::string wire = reply.wire();
  FUZZ_CHECK(wire.ends_with("\r\n"), "a reply ends with CRLF");
  FUZZ_CHECK(wire.find_first_of("\r\n") == wire.size() - 2, "a status from a peer is one reply line, no CR or LF inside");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Invalid UTF-8 in a string field is refused with an ERROR log line per
  // input: expected, and too loud for a fuzzer.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  Frame frame;
  if (!frame.ParseFromArray(data, static_cast<int>(size))) return 0;

  const std::string bytes = frame.SerializeAsString();
  FUZZ_CHECK(bytes.size() == frame.ByteSizeLong(), "serialized size is ByteSizeLong()");
  Frame again;
  FUZZ_CHECK(again.ParseFromString(bytes), "a serialized frame parses");
  FUZZ_CHECK(google::protobuf::util::MessageDifferencer::Equals(frame, again), "a round trip keeps the frame");
  FUZZ_CHECK(again.SerializeAsString() == bytes, "a round trip keeps the bytes");

  switch (frame.body_case()) {
    case Frame::kSubmitReply: check_status(frame.submit_reply().status()); break;
    case Frame::kError: check_status(frame.error().status()); break;
    case Frame::kDeliverReply:
      for (const auto& result : frame.deliver_reply().results()) check_status(result.status());
      break;
    default: break;
  }
  return 0;
}
