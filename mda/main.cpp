// mda — mail delivery agent: final delivery of the MTA's Deliver requests.
//
// Answers Deliver requests on its ZeroMQ endpoint. Each recipient goes the
// way the first matching delivery rule says (MdaConfig.delivery), and by
// default into a Maildir:
//  - Maildir: one file in <mail_root>/<domain>/<user>/ following the
//    Maildir spec (tmp/, fsync, new/, fsync the directory) with
//    Return-Path and Delivered-To on top;
//  - LMTP: to an LMTP server such as Dovecot's (TCP or a UNIX socket);
//  - PIPE: a command (procmail, a script) with the message on stdin.
// It answers DELIVERED only once the copy is durable (the file fsync'd,
// the LMTP server's 250, the command's exit 0), TEMPFAIL or PERMFAIL
// otherwise. Anyone may replace this process with their own that speaks
// the Deliver contract of proto/mailpipe.proto.
//
// Trusts: nothing in a Deliver (recipient names are checked before they
// become paths, LMTP commands or command arguments). Config (MdaConfig in
// proto/config.proto): endpoint, mail_root, hostname, user, log,
// metrics_listen, delivery.
#include <exception>
#include <optional>

#include "common/config/config.hpp"
#include "common/config/process_config.hpp"
#include "common/log/log.hpp"
#include "common/os/blocking_work.hpp"
#include "common/metrics/endpoint.hpp"
#include "common/os/durable_file.hpp"
#include "common/os/privileges.hpp"
#include "common/os/process.hpp"
#include "common/transport/curve.hpp"
#include "common/transport/zmq_server.hpp"
#include "config.pb.h"
#include "mda/config/config_check.hpp"
#include "mda/delivery_router.hpp"

namespace {

using namespace mailpipe;

// SIGHUP: only the log settings can change in flight; the rest (where the
// mailboxes are, whose they are) is said to need a restart.
void reload(const ProcessArgs& args, v1::MdaConfig& running) {
  try {
    v1::MdaConfig fresh;
    mda::validate(fresh, ConfigFile::parse(args.config_path, fresh));
    const std::vector<std::string> restart_needed = changed_fields(running, fresh, {"log"});
    copy_field(fresh, running, "log");
    log::init("mda", running.log().debug());
    auto line = log::info("reloaded");
    if (!restart_needed.empty()) line.kv("restart_needed", join(restart_needed, ","));
  } catch (const std::exception& e) {
    log::error("reload_failed").kv("error", e.what()).kv("reason", "the running configuration stays");
  }
}

// The ZAP domain of our CURVE server end (the MTA intake has its own).
const std::string zap_domain = "mailpipe-mda";
// How long a stop waits for deliveries in progress (a PIPE or LMTP rule's
// own timeout may be longer: those are cut, and retried by the MTA).
constexpr std::chrono::milliseconds shutdown_bound{10000};

// Counts each recipient's outcome, in all and by delivery method.
auto delivery_counter(metrics::Registry& registry) {
  return [&registry](v1::DeliveryMethod method, const v1::RecipientResult& result) {
    const std::string outcome = v1::Outcome_Name(result.outcome());
    registry.counter("mailpipe_mda_recipients_total", "Deliveries per recipient, by outcome", {{"outcome", outcome}}).inc();
    registry.counter("mailpipe_mda_recipients_by_method_total", "Deliveries per recipient, by method and outcome",
                     {{"method", mda::method_name(method)}, {"outcome", outcome}}).inc();
  };
}

int run(const ProcessArgs& args) {
  v1::MdaConfig config;
  if (!load_process_config(args, "mda", config, mda::validate)) return 0;

  asio::io_context io(1);
  // Before dropping root: it opens /proc/self/fd and may bind a low port.
  metrics::Endpoint metrics(io, config.metrics_listen());
  // The key file may be readable by root only.
  const transport::LinkKeys link_keys = transport::load_link_keys(config.link());
  const std::optional<RunAs> run_as = resolve_run_as(config.user());
  if (run_as) {
    if (config.has_mail_root()) {
      if (auto error = make_directories(config.mail_root(), 0755)) throw std::runtime_error(error->what);
      give_to(config.mail_root(), *run_as, false);  // the Maildirs below are made as the user
    }
    drop_privileges(*run_as);
  } else {
    warn_if_root("mda");
  }
  const std::string hostname = process_hostname(config);
  // fsyncs off the loop; declared after io: stopped first.
  BlockingWork blocking;
  const mda::DeliveryRouter router(config, hostname, delivery_counter(metrics.registry()), &blocking);
  const FinishBlockingWork finish_work(blocking);  // before the router goes

  zmq::context_t zmq_context(1);
  // Admits only the MTAs whose public keys `link` lists.
  transport::ZapHandler zap(io, zmq_context);
  zap.allow(zap_domain, link_keys.allowed_clients);
  transport::warn_if_insecure(config.link(), {config.endpoint()}, "link");
  std::size_t delivering = 0;  // Deliver requests not answered yet
  transport::ZmqServer server(io, zmq_context, config.endpoint(), [&router, &delivering](v1::Frame request) -> asio::awaitable<v1::Frame> {
    v1::Frame response;
    if (request.has_deliver()) {
      ++delivering;
      struct Done {
        std::size_t& count;
        ~Done() { --count; }
      } done{delivering};
      v1::DeliverReply reply = co_await router.deliver(request.deliver());
      *response.mutable_deliver_reply() = std::move(reply);
    } else {
      auto* status = response.mutable_error()->mutable_status();
      status->set_code(502);
      status->set_enhanced("5.5.1");
      status->set_text("This endpoint takes Deliver requests only");
    }
    co_return response;
  }, link_keys, zap_domain);

  stop_on_signals(io, [&](int signal) {
    log::info("stopping").kv("signal", signal).kv("delivering", delivering);
    // Deliveries in progress finish and are answered: a file written but
    // not acknowledged would be delivered again by the MTA's retry.
    when_idle(io, [&] { return delivering == 0; }, shutdown_bound, [&](bool drained) {
      if (!drained) {
        log::warning("shutdown_timeout").kv("delivering", delivering)
            .kv("reason", "cut; the MTA retries what was not answered");
      }
      server.close();
      zap.close();
      metrics.close();
      io.stop();
    });
  });
  reload_on_sighup(io, [&] { reload(args, config); });
  metrics.start();
  log::info("ready").kv("endpoint", config.endpoint()).kv("mail_root", config.mail_root())
      .kv("delivery_rules", config.delivery_size()).kv("metrics", metrics.local_address());
  io.run();
  log::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return mailpipe::run_process(argc, argv, "mda", run); }
