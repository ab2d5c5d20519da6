// mta — mail transfer agent: the durable queue.
//
// Takes Submit requests on its ZeroMQ intake and, when `mx` is configured,
// SMTP from other servers on its inbound MX listeners (port 25). Makes each
// message durable in its own spool (write, fsync, rename, fsync dir) before
// answering 250, expands aliases, routes recipients (local domains go to
// the MDA with Deliver, others to their MX over SMTP), retries temporary
// failures with backoff, bounces permanent ones (RFC 3464), and forgets a
// message only when every recipient is final. On start it rescans the
// spool and resumes.
//
// Trusts: nothing in a Submit (re-validated here) or from port 25; the
// MDA's per-recipient outcomes. Config (MtaConfig in proto/config.proto):
// hostname, intake_endpoint, mda_endpoint, spool_dir, local_domain,
// passwd_file, aliases_file, recipient_delimiter, alias limits,
// deliver_timeout_ms, retry, max_local_deliveries, max_remote_deliveries,
// max_received_headers, dns, outbound, mx, shutdown_timeout_ms, user, log,
// intake_link, mda_link, admin_endpoint, admin_group, metrics_listen.
#include <exception>
#include <optional>

#include "common/auth/passwd_file.hpp"
#include "common/os/blocking_work.hpp"
#include "common/config/config.hpp"
#include "common/config/process_config.hpp"
#include "common/log/log.hpp"
#include "common/metrics/endpoint.hpp"
#include "common/os/privileges.hpp"
#include "common/os/process.hpp"
#include "common/smtp/address.hpp"
#include "common/smtp/listener.hpp"
#include "common/transport/zmq_client.hpp"
#include "common/transport/zmq_server.hpp"
#include "config.pb.h"
#include "mta/admin_service.hpp"
#include "mta/bounce_sender.hpp"
#include "mta/config/config_check.hpp"
#include "mta/intake.hpp"
#include "mta/mda_courier.hpp"
#include "mta/mta_metrics.hpp"
#include "mta/mx_front.hpp"
#include "mta/queue_runner.hpp"
#include "mta/recipient_resolver.hpp"
#include "mta/remote_courier.hpp"
#include "mta/spool.hpp"

namespace {

using namespace mailpipe;

// Mistakes that do not stop the MTA but lose mail for someone: said once,
// loudly, at start-up.
void warn_about_recipients(const v1::MtaConfig& config, const mta::RecipientResolver& resolver,
                           const mta::AliasMap& aliases) {
  for (const auto& domain : config.local_domain()) {
    const std::string postmaster = "postmaster@" + smtp::lowercase_ascii(domain);
    if (resolver.resolve(postmaster).kind != mta::Resolution::Kind::deliver) {
      log::warning("config_warning").kv("address", postmaster)
          .kv("reason", "RFC 5321 4.5.1: postmaster must be accepted; add a user or an alias for it");
    }
  }
  for (const auto& entry : aliases.entries()) {
    if (entry.key.starts_with('@')) continue;
    const mta::Resolution resolution = resolver.resolve(entry.key);
    const bool broken = resolution.kind != mta::Resolution::Kind::deliver || !resolution.unknown_targets.empty();
    if (!broken) continue;
    auto line = log::warning("config_warning");
    line.kv("file", config.aliases_file()).kv("line", entry.line).kv("address", entry.key);
    if (resolution.kind == mta::Resolution::Kind::loop) {
      line.kv("reason", "alias loop: mail for this address is deferred");
    } else if (resolution.kind == mta::Resolution::Kind::too_many) {
      line.kv("reason", "expands beyond alias_expansion_limit/alias_recursion_limit: mail is deferred");
    } else {
      for (const auto& target : resolution.unknown_targets) line.kv("unknown_target", target);
      line.kv("reason", "alias target names no user or alias");
    }
  }
}

// The queue's size by state, read at scrape time.
void register_queue_gauges(metrics::Registry& registry, const mta::QueueRunner& queue) {
  for (const char* state : {"waiting", "in_delivery", "held"}) {
    registry.gauge_fn("mailpipe_queue_messages", "Messages in this MTA's queue, by state", {{"state", state}},
                      [&queue, state = std::string(state)] {
                        std::size_t n = 0;
                        queue.for_each([&](const mta::QueueRunner::View& view) {
                          const char* of = view.state.held() ? "held" : view.in_flight ? "in_delivery" : "waiting";
                          if (state == of) ++n;
                        });
                        return static_cast<double>(n);
                      });
  }
  registry.gauge_fn("mailpipe_queue_recipients_pending", "Recipients not yet delivered or bounced", {},
                    [&queue] {
                      std::size_t n = 0;
                      queue.for_each([&](const mta::QueueRunner::View& view) {
                        for (const auto& progress : view.state.recipients()) {
                          if (progress.state() == v1::RECIPIENT_PENDING) ++n;
                        }
                      });
                      return static_cast<double>(n);
                    });
}

// The ZAP domain of the intake: which allowed_client_key list applies.
const std::string intake_zap_domain = "mailpipe-intake";

struct LocalRecipients {
  std::shared_ptr<const auth::PasswdFile> users;  // null: no passwd_file
  std::shared_ptr<const mta::AliasMap> aliases;
};

LocalRecipients load_recipients(const v1::MtaConfig& config) {
  LocalRecipients out;
  if (config.has_passwd_file()) {
    out.users = std::make_shared<const auth::PasswdFile>(auth::PasswdFile::load(config.passwd_file()));
  }
  out.aliases = std::make_shared<const mta::AliasMap>(
      config.has_aliases_file() ? mta::AliasMap::load(config.aliases_file()) : mta::AliasMap());
  return out;
}


// What a SIGHUP can change without a restart: who the users and aliases
// are, and the MX's certificate, limits and relay domains.
const std::vector<std::string_view> reloadable = {
    "passwd_file", "aliases_file", "recipient_delimiter", "alias_expansion_limit", "alias_recursion_limit",
    "mx", "shutdown_timeout_ms", "log"};

// SIGHUP: everything is loaded and checked first; only then is anything
// replaced, so a bad file leaves the running configuration as it was.
void reload(const ProcessArgs& args, v1::MtaConfig& running, mta::RecipientResolver& recipients, mta::MxFront* mx) {
  try {
    v1::MtaConfig fresh;
    mta::validate(fresh, ConfigFile::parse(args.config_path, fresh));
    LocalRecipients loaded = load_recipients(fresh);
    std::vector<std::string> restart_needed = changed_fields(running, fresh, reloadable);
    if (fresh.has_mx() != running.has_mx() ||
        changed_fields(running.mx(), fresh.mx(), {"tls", "relay_domain", "limits"}).size() > 0) {
      restart_needed.push_back("mx.listen");
    }
    if (mx && fresh.has_mx()) mx->reload(fresh.mx());  // throws on a bad certificate, before the rest
    recipients.replace(fresh, loaded.users, loaded.aliases);
    for (std::string_view key : reloadable) copy_field(fresh, running, key);
    log::init("mta", running.log().debug());
    warn_about_recipients(running, recipients, *loaded.aliases);
    auto line = log::info("reloaded");
    line.kv("users", loaded.users ? loaded.users->size() : 0).kv("aliases", loaded.aliases->size());
    if (!restart_needed.empty()) line.kv("restart_needed", join(restart_needed, ","));
  } catch (const std::exception& e) {
    log::error("reload_failed").kv("error", e.what()).kv("reason", "the running configuration stays");
  }
}

// The spool, opened, and given to the user we become (files an earlier
// run as root wrote).
void open_spool(mta::Spool& spool, const v1::MtaConfig& config, const std::optional<RunAs>& run_as) {
  if (auto error = spool.open()) throw std::runtime_error("spool " + config.spool_dir() + ": " + error->what);
  if (run_as) give_to(config.spool_dir(), *run_as, true);
}

// Metrics and the DSN sender hooked to the queue and the relay.
void connect_queue(mta::QueueRunner& queue, mta::RemoteCourier& relay, mta::BounceSender& bounces,
                   mta::MtaMetrics& mta_metrics, metrics::Registry& registry) {
  relay.set_metrics(&mta_metrics);
  queue.set_metrics(&mta_metrics);
  bounces.set_metrics(&mta_metrics);
  register_queue_gauges(registry, queue);
  queue.set_on_report([&bounces](const std::string& queue_id, const v1::SpoolMessage& original, mta::ReportKind kind,
                                  const std::vector<v1::RecipientProgress>& recipients) {
    return bounces.send(queue_id, original, kind, recipients);
  });
}

// The operator's socket (admin_endpoint, when set), made 0600/0660: call
// it while still root, so admin_group can be given.
void open_admin_socket(std::optional<transport::ZmqServer>& server, asio::io_context& io, zmq::context_t& zmq_context,
                       const v1::MtaConfig& config, mta::AdminService& admin) {
  if (!config.has_admin_endpoint()) return;
  const std::string path = config.admin_endpoint().substr(6);
  if (auto error = make_directories(path.substr(0, path.rfind('/')), 0755)) throw std::runtime_error(error->what);
  server.emplace(io, zmq_context, config.admin_endpoint(),
                 [&admin](v1::Frame request) { return admin.handle(std::move(request)); });
  mta::restrict_admin_socket(config.admin_endpoint(), config.admin_group());
}

// The messages of earlier runs, back in the queue; returns how many.
std::size_t recover_queue(mta::Spool& spool, mta::QueueRunner& queue, BlockingWork& blocking) {
  std::size_t recovered = 0;
  for (auto& message : spool.recover()) {
    const v1::Envelope& envelope = message.message.envelope();
    queue.add(message.queue_id, envelope, std::move(message.state));
    ++recovered;
  }
  blocking.post([&spool] { spool.refill_spares(); });  // recover() removed the old ones
  return recovered;
}

// What a clean stop touches, for stop_when_signalled.
struct Running {
  asio::io_context& io;
  const v1::MtaConfig& config;
  std::optional<mta::MxFront>& mx;
  mta::Intake& intake;
  std::optional<transport::ZmqServer>& admin_server;
  transport::ZapHandler& zap;
  mta::QueueRunner& queue;
  transport::ZmqServer& intake_server;
  transport::ZmqClient& mda;
  metrics::Endpoint& metrics;
};

// SIGTERM/SIGINT: no new work anywhere, then the loop stops once nothing
// is busy, or after shutdown_timeout_ms (what is cut stays queued).
void stop_when_signalled(Running r) {
  auto busy = [r] { return (r.mx ? r.mx->active_sessions() : 0) + r.queue.active_attempts() + r.intake.active(); };
  stop_on_signals(r.io, [r, busy](int signal) {
    log::info("stopping").kv("signal", signal).kv("queued", r.queue.size()).kv("busy", busy());
    if (r.mx) r.mx->shutdown();
    // The intake stays open until the drain: a Submit being written must
    // get its answer, or its sender offers it to another MTA (a duplicate).
    // New ones are turned away with a 4xx meanwhile.
    r.intake.stop();
    if (r.admin_server) r.admin_server->close();
    r.zap.close();
    r.queue.stop();  // no new attempts; those in flight finish and record their outcome
    const auto bound = std::chrono::milliseconds(r.config.shutdown_timeout_ms());
    when_idle(r.io, [busy] { return busy() == 0; }, bound, [r, busy](bool drained) {
      if (!drained) {
        log::warning("shutdown_timeout").kv("busy", busy())
            .kv("reason", "cut after shutdown_timeout_ms; the messages stay queued for the restart");
      }
      r.intake_server.close();
      r.mda.close();
      r.metrics.close();
      r.io.stop();
    });
  });
}

int run(const ProcessArgs& args) {
  v1::MtaConfig config;
  if (!load_process_config(args, "mta", config, mta::validate)) return 0;

  const std::optional<RunAs> run_as = resolve_run_as(config.user());
  const std::string hostname = process_hostname(config);
  LocalRecipients loaded = load_recipients(config);
  mta::RecipientResolver recipients(config, loaded.users, loaded.aliases);
  warn_about_recipients(config, recipients, *loaded.aliases);

  mta::Spool spool(config.spool_dir());
  open_spool(spool, config, run_as);

  asio::io_context io(1);
  // fsyncs off the loop; stopped (running writes finished) before the
  // io_context and the spool go.
  BlockingWork blocking;
  metrics::Endpoint metrics(io, config.metrics_listen());
  mta::MtaMetrics mta_metrics(metrics.registry());
  smtp::SmtpMetrics mx_metrics(metrics.registry(), "mx");
  zmq::context_t zmq_context(1);
  // Admits only the CURVE client keys each server's config lists.
  transport::ZapHandler zap(io, zmq_context);
  transport::warn_if_insecure(config.mda_link(), {config.mda_endpoint()}, "mda_link");
  transport::warn_if_insecure(config.intake_link(), {config.intake_endpoint()}, "intake_link");
  const transport::LinkKeys intake_keys = transport::load_link_keys(config.intake_link());
  zap.allow(intake_zap_domain, intake_keys.allowed_clients);
  transport::ZmqClient mda(io, zmq_context, {config.mda_endpoint()}, transport::load_link_keys(config.mda_link()));
  mta::MdaCourier mda_courier(mda, std::chrono::milliseconds(config.deliver_timeout_ms()));
  mta::MxResolver mx_resolver(io, config.dns());
  mta::RemoteCourier smtp_courier(io, config, mx_resolver);
  mta::QueueRunner queue(io, spool, mda_courier, smtp_courier, recipients, config);
  mta::Intake intake(spool, queue, recipients, config.max_received_headers(), &blocking);
  queue.set_blocking_work(&blocking);
  const FinishBlockingWork finish_work(blocking);  // before intake, queue and spool go
  mta::BounceSender bounces(spool, queue, config, hostname);
  connect_queue(queue, smtp_courier, bounces, mta_metrics, metrics.registry());

  mta::AdminService admin(queue, spool, hostname);
  std::optional<transport::ZmqServer> admin_server;
  open_admin_socket(admin_server, io, zmq_context, config, admin);  // while still root
  std::optional<mta::MxFront> mx;
  if (config.has_mx()) mx.emplace(io, config.mx(), recipients, intake, hostname, &mx_metrics);
  // The MX ports are bound: root is no longer needed.
  if (run_as) drop_privileges(*run_as); else warn_if_root("mta");

  const std::size_t recovered = recover_queue(spool, queue, blocking);
  transport::ZmqServer intake_server(io, zmq_context, config.intake_endpoint(),
                                     [&intake](v1::Frame request) { return intake.handle(std::move(request)); },
                                     intake_keys, intake_zap_domain);
  queue.start();
  metrics.start();
  if (mx) mx->start();

  stop_when_signalled({io, config, mx, intake, admin_server, zap, queue, intake_server, mda, metrics});
  log::info("ready").kv("intake", config.intake_endpoint()).kv("mda", config.mda_endpoint())
      .kv("spool", config.spool_dir()).kv("recovered", recovered).kv("mx", mx ? mx->local_addresses() : "none")
      .kv("users", loaded.users ? loaded.users->size() : 0).kv("aliases", loaded.aliases->size())
      .kv("metrics", metrics.local_address());
  reload_on_sighup(io, [&] { reload(args, config, recipients, mx ? &*mx : nullptr); });
  io.run();
  log::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return mailpipe::run_process(argc, argv, "mta", run); }
