#include "common/smtp/client/outcome.hpp"

#include "common/smtp/client/reply_parser.hpp"

namespace mailpipe::smtp::client {

v1::RecipientResult recipient_result(const std::string& address, const Reply& reply) {
  v1::RecipientResult result;
  result.set_address(address);
  result.set_outcome(reply.success() ? v1::DELIVERED : reply.permanent() ? v1::PERMFAIL : v1::TEMPFAIL);
  auto* status = result.mutable_status();
  status->set_code(static_cast<uint32_t>(reply.code));
  std::string enhanced = reply.enhanced;
  if (enhanced.empty()) enhanced = reply.success() ? "2.0.0" : reply.permanent() ? "5.0.0" : "4.0.0";
  status->set_enhanced(enhanced);
  std::string text = reply.text;
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  status->set_text(printable_utf8(text));
  return result;
}

v1::RecipientResult no_answer(const std::string& address, const std::string& why) {
  return recipient_result(address, Reply{451, "4.4.2", why});
}

}  // namespace mailpipe::smtp::client
