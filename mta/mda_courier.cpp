#include "mta/mda_courier.hpp"

#include <algorithm>

#include "common/smtp/client/reply_parser.hpp"

namespace mailpipe::mta {
namespace {

v1::RecipientResult tempfail(const std::string& address, uint32_t code, const std::string& enhanced,
                             const std::string& text) {
  v1::RecipientResult result;
  result.set_address(address);
  result.set_outcome(v1::TEMPFAIL);
  result.mutable_status()->set_code(code);
  result.mutable_status()->set_enhanced(enhanced);
  result.mutable_status()->set_text(text);
  return result;
}

}  // namespace

MdaCourier::MdaCourier(transport::ZmqClient& mda, std::chrono::milliseconds timeout) : mda_(mda), timeout_(timeout) {}

asio::awaitable<std::map<std::string, v1::RecipientResult>> MdaCourier::deliver(
    const std::string& queue_id, uint32_t attempt, const v1::Envelope& envelope,
    const std::vector<std::string>& recipients, const std::string& message) {
  const std::string delivery_id = queue_id + "." + std::to_string(attempt);
  v1::Frame request;
  auto* deliver = request.mutable_deliver();
  deliver->set_delivery_id(delivery_id);
  *deliver->mutable_envelope() = envelope;
  for (const auto& address : recipients) deliver->add_recipients()->set_address(address);
  deliver->set_message(message);

  const std::optional<v1::Frame> answer = co_await mda_.request(std::move(request), timeout_);

  std::map<std::string, v1::RecipientResult> results;
  if (answer && answer->has_deliver_reply() && answer->deliver_reply().delivery_id() == delivery_id) {
    for (const auto& result : answer->deliver_reply().results()) {
      // Only results for recipients we asked about count; an MDA cannot
      // mark someone else delivered.
      if (std::find(recipients.begin(), recipients.end(), result.address()) == recipients.end()) continue;
      if (result.outcome() == v1::OUTCOME_UNSPECIFIED) continue;
      // A custom MDA's text goes into the spool state, logs and DSNs:
      // printable UTF-8 on one line, whatever the MDA sent (rule 2).
      v1::RecipientResult checked = result;
      checked.mutable_status()->set_text(smtp::client::printable_utf8(result.status().text()));
      checked.set_remote_mta(smtp::client::printable_utf8(result.remote_mta()));
      results.emplace(result.address(), std::move(checked));
    }
  }
  std::string why = "MDA did not answer within deliver_timeout_ms";
  if (answer && answer->has_error()) why = "MDA refused the request: " + smtp::client::printable_utf8(answer->error().status().text());
  for (const auto& address : recipients) {
    if (!results.contains(address)) results.emplace(address, tempfail(address, 451, "4.4.1", why));
  }
  co_return results;
}

}  // namespace mailpipe::mta
