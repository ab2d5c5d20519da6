#include "mta/admin_service.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/smtp/replies.hpp"

namespace mailpipe::mta {
namespace {

const char* state_name(v1::RecipientState state) {
  switch (state) {
    case v1::RECIPIENT_DELIVERED: return "delivered";
    case v1::RECIPIENT_BOUNCED: return "bounced";
    default: return "pending";
  }
}

v1::Status status(int code, const char* enhanced, const std::string& text) {
  return smtp::replies::make(code, enhanced, text).to_status();
}

}  // namespace

AdminService::AdminService(QueueRunner& queue, const Spool& spool, std::string hostname)
    : queue_(queue), spool_(spool), hostname_(std::move(hostname)) {}

asio::awaitable<v1::Frame> AdminService::handle(v1::Frame request) {
  v1::Frame response;
  if (request.has_admin_request()) {
    *response.mutable_admin_reply() = answer(request.admin_request());
  } else {
    *response.mutable_error()->mutable_status() = status(502, "5.5.1", "This endpoint takes AdminRequest only");
  }
  co_return response;
}

v1::QueuedMessage AdminService::describe(const QueueRunner::View& view) const {
  v1::QueuedMessage out;
  out.set_queue_id(view.queue_id);
  out.set_size(spool_.message_size(view.queue_id));
  out.set_received_unix_ms(view.envelope.received_unix_ms());
  out.set_mail_from(view.envelope.mail_from());
  out.set_held(view.state.held());
  out.set_in_delivery(view.in_flight);
  for (const auto& progress : view.state.recipients()) {
    auto* recipient = out.add_recipients();
    recipient->set_address(progress.address());
    recipient->set_state(state_name(progress.state()));
    recipient->set_attempts(progress.attempts());
    recipient->set_next_attempt_unix_ms(progress.next_attempt_unix_ms());
    *recipient->mutable_last_status() = progress.last_status();
    recipient->set_last_remote_mta(progress.last_remote_mta());
  }
  return out;
}

v1::AdminReply AdminService::answer(const v1::AdminRequest& request) {
  v1::AdminReply reply;
  reply.set_mta(hostname_);
  const std::string& id = request.queue_id();
  auto not_found = [&] { *reply.mutable_status() = status(550, "5.1.0", "No message " + id + " in this MTA's queue"); };

  if (request.action() == v1::QUEUE_LIST || request.action() == v1::QUEUE_SHOW) {
    if (id.empty()) {
      queue_.for_each([&](const QueueRunner::View& view) { *reply.add_messages() = describe(view); });
    } else if (auto view = queue_.find(id)) {
      *reply.add_messages() = describe(*view);
    } else {
      not_found();
      return reply;
    }
    *reply.mutable_status() = status(250, "2.0.0", std::to_string(reply.messages_size()) + " message(s)");
    return reply;
  }

  if (id.empty() && request.action() != v1::QUEUE_FLUSH) {
    *reply.mutable_status() = status(501, "5.5.4", "This action needs a queue id");
    return reply;
  }
  QueueRunner::ActionResult result = QueueRunner::ActionResult::failed;
  switch (request.action()) {
    case v1::QUEUE_FLUSH: result = queue_.flush(id); break;
    case v1::QUEUE_HOLD: result = queue_.hold(id); break;
    case v1::QUEUE_RELEASE: result = queue_.release(id); break;
    case v1::QUEUE_DELETE: result = queue_.remove(id); break;
    default:
      *reply.mutable_status() = status(501, "5.5.4", "Unknown queue action");
      return reply;
  }
  switch (result) {
    case QueueRunner::ActionResult::done: *reply.mutable_status() = status(250, "2.0.0", "Done"); break;
    case QueueRunner::ActionResult::not_found: not_found(); break;
    case QueueRunner::ActionResult::busy:
      *reply.mutable_status() = status(451, "4.3.0", "A delivery attempt for " + id + " is running; try again");
      break;
    case QueueRunner::ActionResult::failed:
      *reply.mutable_status() = status(451, "4.3.0", "The spool could not be updated; see the MTA's log");
      break;
  }
  return reply;
}

void restrict_admin_socket(const std::string& endpoint, const std::string& group) {
  if (!endpoint.starts_with("ipc://")) return;
  const std::string path = endpoint.substr(6);
  gid_t gid = static_cast<gid_t>(-1);
  if (!group.empty()) {
    const struct group* found = ::getgrnam(group.c_str());
    if (found == nullptr) throw std::runtime_error("admin_group " + group + ": no such group");
    gid = found->gr_gid;
  }
  if (::chown(path.c_str(), 0, gid) != 0 && geteuid() == 0) {
    throw std::runtime_error("chown " + path + ": " + std::strerror(errno));
  }
  if (::chmod(path.c_str(), group.empty() ? 0600 : 0660) != 0) {
    throw std::runtime_error("chmod " + path + ": " + std::strerror(errno));
  }
}

}  // namespace mailpipe::mta
