// msa — mail submission agent (RFC 6409).
//
// Accepts mail from users' clients on the submission ports: STARTTLS
// (587, RFC 3207) and implicit TLS (465, RFC 8314). Requires TLS and then
// AUTH (PLAIN or LOGIN, checked against a Dovecot passwd-file), lets a user
// send only as themselves, adds Received (and Date, Message-ID when
// missing), and hands each message to an MTA intake as a Submit over
// ZeroMQ. It answers 250 only after the MTA says the message is durable.
//
// Trusts: nothing from the network; the MTA's answers are passed on.
// Config (MsaConfig in proto/config.proto): hostname, listen, tls,
// passwd_file, mta_endpoint, submit_timeout_ms, limits, shutdown_timeout_ms,
// user, log.
#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "common/auth/passwd_file.hpp"
#include "common/config/config.hpp"
#include "common/config/process_config.hpp"
#include "common/log/log.hpp"
#include "common/metrics/endpoint.hpp"
#include "common/os/privileges.hpp"
#include "common/os/process.hpp"
#include "common/smtp/listener.hpp"
#include "common/tls/server_context.hpp"
#include "common/transport/zmq_client.hpp"
#include "config.pb.h"
#include "msa/config/config_check.hpp"
#include "msa/mta_submitter.hpp"
#include "msa/submission_policy.hpp"

namespace {

using namespace mailpipe;

// Start-up checks that the schema alone cannot express.
msa::PoolSettings pool_settings(const v1::MsaConfig& config) {
  return {std::chrono::milliseconds(config.mta_attempt_timeout_ms()), std::chrono::milliseconds(config.mta_down_ms())};
}

// SIGHUP: certificate, users, limits and timeouts from the file again.
// New sessions get them; sessions in progress keep theirs. A config that
// does not load is refused with a log line, and the running one stays.
void reload(const ProcessArgs& args, v1::MsaConfig& running, const std::string& hostname,
            std::vector<std::unique_ptr<smtp::Listener>>& listeners, smtp::ClientLimits& clients,
            msa::SubmissionPolicy& policy, msa::MtaSubmitter& submitter, msa::MtaPool& mtas,
            smtp::SmtpMetrics& smtp_metrics) {
  try {
    v1::MsaConfig fresh;
    msa::validate(fresh, ConfigFile::parse(args.config_path, fresh));
    auto users = std::make_shared<const auth::PasswdFile>(auth::PasswdFile::load(fresh.passwd_file()));
    auto tls = std::make_shared<asio::ssl::context>(tls::make_server_context(fresh.tls()));
    const std::vector<std::string> restart_needed = changed_fields(
        running, fresh, {"tls", "passwd_file", "limits", "submit_timeout_ms", "shutdown_timeout_ms", "log",
                         "mta_attempt_timeout_ms", "mta_down_ms"});

    policy.set_users(users);
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      listeners[i]->set_tls(tls);
      const bool implicit = running.listen(static_cast<int>(i)).tls() == v1::IMPLICIT;
      listeners[i]->set_settings({hostname, fresh.limits(), implicit, &smtp_metrics});
    }
    clients.set_limits(fresh.limits());
    submitter.set_submit_timeout(std::chrono::milliseconds(fresh.submit_timeout_ms()));
    mtas.set_settings(pool_settings(fresh));
    for (const char* key : {"tls", "passwd_file", "limits", "submit_timeout_ms", "shutdown_timeout_ms", "log",
                            "mta_attempt_timeout_ms", "mta_down_ms"}) {
      copy_field(fresh, running, key);
    }
    log::init("msa", running.log().debug());
    auto line = log::info("reloaded");
    line.kv("users", users->size()).kv("cert", fresh.tls().cert_file());
    if (!restart_needed.empty()) line.kv("restart_needed", join(restart_needed, ","));
  } catch (const std::exception& e) {
    log::error("reload_failed").kv("error", e.what()).kv("reason", "the running configuration stays");
  }
}

int run(const ProcessArgs& args) {
  v1::MsaConfig config;
  if (!load_process_config(args, "msa", config, msa::validate)) return 0;

  const std::optional<RunAs> run_as = resolve_run_as(config.user());
  const std::string hostname = process_hostname(config);
  auto users = std::make_shared<const auth::PasswdFile>(auth::PasswdFile::load(config.passwd_file()));
  auto tls = std::make_shared<asio::ssl::context>(tls::make_server_context(config.tls()));

  asio::io_context io(1);
  metrics::Endpoint metrics(io, config.metrics_listen());
  smtp::SmtpMetrics smtp_metrics(metrics.registry(), "submission");
  zmq::context_t zmq_context(1);
  asio::thread_pool hashing(2);
  const std::vector<std::string> mta_endpoints(config.mta_endpoint().begin(), config.mta_endpoint().end());
  transport::warn_if_insecure(config.mta_link(), mta_endpoints, "mta_link");
  msa::MtaPool mta(io, zmq_context, mta_endpoints, transport::load_link_keys(config.mta_link()),
                   pool_settings(config));
  auto clients = std::make_shared<smtp::ClientLimits>(config.limits());  // one count for both submission ports
  msa::SubmissionPolicy policy(users, hashing, clients);
  msa::MtaSubmitter submitter(mta, hostname, std::chrono::milliseconds(config.submit_timeout_ms()));

  std::vector<std::unique_ptr<smtp::Listener>> listeners;
  for (const auto& listen : config.listen()) {
    smtp::SessionSettings settings{hostname, config.limits(), listen.tls() == v1::IMPLICIT, &smtp_metrics};
    listeners.push_back(
        std::make_unique<smtp::Listener>(io, listen.address(), settings, nullptr, policy, submitter, clients));
    listeners.back()->set_tls(tls);
  }
  // Ports bound, keys and users read: root is no longer needed.
  if (run_as) drop_privileges(*run_as); else warn_if_root("msa");
  for (auto& listener : listeners) listener->start();
  metrics.start();

  auto open_sessions = [&listeners] {
    std::size_t open = 0;
    for (const auto& listener : listeners) open += listener->active_sessions();
    return open;
  };
  stop_on_signals(io, [&](int signal) {
    log::info("stopping").kv("signal", signal).kv("sessions", open_sessions());
    for (auto& listener : listeners) listener->shutdown();
    const auto bound = std::chrono::milliseconds(config.shutdown_timeout_ms());
    when_idle(io, [&] { return open_sessions() == 0; }, bound, [&](bool drained) {
      if (!drained) {
        log::warning("shutdown_timeout").kv("sessions", open_sessions())
            .kv("reason", "sessions still open after shutdown_timeout_ms are cut; their clients retry");
      }
      mta.close();
      metrics.close();
      io.stop();
    });
  });

  {
    auto ready = log::info("ready");  // written at the end of this block
    for (std::size_t i = 0; i < listeners.size(); ++i) {
      ready.kv(config.listen(static_cast<int>(i)).tls() == v1::IMPLICIT ? "listen_tls" : "listen_starttls",
               listeners[i]->local_address());
    }
    ready.kv("users", users->size()).kv("mtas", join(mta_endpoints, ",")).kv("metrics", metrics.local_address());
  }
  reload_on_sighup(io, [&] {
    reload(args, config, hostname, listeners, *clients, policy, submitter, mta, smtp_metrics);
  });
  io.run();
  hashing.join();
  log::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return mailpipe::run_process(argc, argv, "msa", run); }
