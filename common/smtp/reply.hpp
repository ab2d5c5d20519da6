#pragma once
// An SMTP reply: basic code, RFC 3463 enhanced code, text. Every reply a
// client can see is built in replies.hpp, so they are all in one place.
#include <string>
#include <string_view>

#include "mailpipe.pb.h"

namespace mailpipe::smtp {

struct Reply {
  int code = 0;
  std::string enhanced;  // "5.5.2"; empty for the greeting and EHLO
  std::string text;      // lines separated by '\n'; never CR

  // RFC 5321 4.2.1: 2yz is success; 3yz (354 to DATA, 334 to AUTH) asks
  // for more and is never an acceptance.
  bool success() const { return code >= 200 && code < 300; }
  bool intermediate() const { return code >= 300 && code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }

  // Wire form: every line "CODE-[enh ]text\r\n", the last "CODE [enh ]text\r\n".
  std::string wire() const;

  v1::Status to_status() const;
  static Reply from_status(const v1::Status& status);
};

}  // namespace mailpipe::smtp
