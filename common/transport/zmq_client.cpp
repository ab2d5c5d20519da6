#include "common/transport/zmq_client.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include "common/log/log.hpp"

namespace mailpipe::transport {
namespace {

// How often to look again for a live peer while none is connected.
constexpr auto send_retry_interval = std::chrono::milliseconds(20);

// The request's bytes, written straight into the message zmq sends: no
// copy of the frame, no zero-filled string, no second copy (a Submit or a
// Deliver carries the whole mail, megabytes maybe). The id goes after the
// frame as one more request_id field: a Protobuf parser keeps the last
// value of a scalar field, so the caller's frame needs no change.
zmq::message_t serialize_request(const v1::Frame& request, uint64_t id) {
  using google::protobuf::io::CodedOutputStream;
  using google::protobuf::internal::WireFormatLite;
  const uint32_t tag = WireFormatLite::MakeTag(v1::Frame::kRequestIdFieldNumber, WireFormatLite::WIRETYPE_VARINT);
  const std::size_t body = request.ByteSizeLong();
  zmq::message_t bytes(body + CodedOutputStream::VarintSize32(tag) + CodedOutputStream::VarintSize64(id));
  auto* out = static_cast<uint8_t*>(bytes.data());
  out = request.SerializeWithCachedSizesToArray(out);
  out = CodedOutputStream::WriteVarint32ToArray(tag, out);
  CodedOutputStream::WriteVarint64ToArray(id, out);
  return bytes;
}

}  // namespace

ZmqClient::ZmqClient(asio::io_context& io, zmq::context_t& context, const std::vector<std::string>& endpoints,
                     const LinkKeys& keys)
    : io_(io), socket_(io, context, zmq::socket_type::dealer) {
  socket_.raw().set(zmq::sockopt::immediate, 1);
  make_curve_client(socket_.raw(), keys);
  for (const auto& endpoint : endpoints) socket_.raw().connect(endpoint);
  socket_.start([this](Parts&& parts) { on_message(std::move(parts)); });
}

void ZmqClient::on_message(Parts&& parts) {
  // DEALER: exactly one frame per reply.
  if (parts.size() != 1) {
    log::warning("zmq_reply_malformed").kv("frames", parts.size());
    return;
  }
  v1::Frame frame;
  if (!frame.ParseFromArray(parts[0].data(), static_cast<int>(parts[0].size()))) {
    log::warning("zmq_reply_unparseable").kv("bytes", parts[0].size());
    return;
  }
  const auto it = pending_->find(frame.request_id());
  if (it == pending_->end()) {
    // The request timed out already; its sender has answered 4xx and the
    // message will come again. Nothing to do.
    log::debug("zmq_reply_late").kv("request_id", frame.request_id());
    return;
  }
  it->second->reply = std::move(frame);
  it->second->timer.cancel();
}

asio::awaitable<std::optional<v1::Frame>> ZmqClient::request(const v1::Frame& request,
                                                             std::chrono::milliseconds timeout,
                                                             std::optional<std::chrono::milliseconds> connect_wait) {
  const uint64_t id = next_id_++;
  // Before the first suspension: `request` is not read after this line.
  zmq::message_t bytes = serialize_request(request, id);

  auto pending = std::make_shared<Pending>(io_);
  pending_->emplace(id, pending);
  struct Erase {
    std::shared_ptr<PendingMap> map;
    uint64_t id;
    ~Erase() { map->erase(id); }
  } erase{pending_, id};

  // With no live peer the request cannot even be queued. Keep trying until
  // the deadline: a peer that is (re)connecting gets its chance, and a
  // peer that is down costs the caller exactly `timeout`, as configured.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const auto send_deadline = std::chrono::steady_clock::now() + std::min(timeout, connect_wait.value_or(timeout));
  for (;;) {
    Parts parts;
    parts.emplace_back().copy(bytes);  // shares the buffer, for a retry
    if (socket_.send(std::move(parts))) break;
    if (std::chrono::steady_clock::now() >= send_deadline) co_return std::nullopt;
    pending->timer.expires_after(std::min<std::chrono::steady_clock::duration>(
        send_retry_interval, send_deadline - std::chrono::steady_clock::now()));
    asio::error_code ec;
    co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }

  pending->timer.expires_at(deadline);
  if (!pending->reply) {
    asio::error_code ec;
    co_await pending->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  co_return std::move(pending->reply);
}

}  // namespace mailpipe::transport
