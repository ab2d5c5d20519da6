// mta — mail transfer agent: the durable queue.
//
// Takes Submit requests on its ZeroMQ intake, makes each message durable in
// its own spool (write, fsync, rename, fsync dir) before answering 250,
// routes recipients (local domains go to the MDA with Deliver), retries
// temporary failures with backoff, and forgets a message only when every
// recipient is final. On start it rescans the spool and resumes.
//
// Trusts: nothing in a Submit (re-validated here); the MDA's per-recipient
// outcomes. Config (MtaConfig in proto/config.proto): hostname,
// intake_endpoint, mda_endpoint, spool_dir, local_domain,
// deliver_timeout_ms, retry, max_parallel_deliveries, log.
#include <exception>

#include "common/config.hpp"
#include "common/log.hpp"
#include "common/process.hpp"
#include "common/transport/zmq_client.hpp"
#include "common/transport/zmq_server.hpp"
#include "config.pb.h"
#include "mta/bounce_sender.hpp"
#include "mta/intake.hpp"
#include "mta/mda_courier.hpp"
#include "mta/queue_runner.hpp"
#include "mta/remote_courier.hpp"
#include "mta/spool.hpp"

namespace {

using namespace mailpipe;

void validate(const v1::MtaConfig& config, const ConfigFile& file) {
  file.require(config.has_intake_endpoint(), "intake_endpoint");
  file.require(config.has_mda_endpoint(), "mda_endpoint");
  file.require(config.has_spool_dir(), "spool_dir");
  if (config.deliver_timeout_ms() == 0) file.fail({"deliver_timeout_ms"}, "must be > 0");
  if (config.retry().first_retry_ms() == 0) file.fail({"retry", "first_retry_ms"}, "must be > 0");
  if (config.max_parallel_deliveries() == 0) file.fail({"max_parallel_deliveries"}, "must be > 0");
}

int run(const ProcessArgs& args) {
  v1::MtaConfig config;
  const ConfigFile file = ConfigFile::parse(args.config_path, config);
  validate(config, file);
  log::init("mta", config.log().debug());
  if (args.check_only) return 0;

  mta::Spool spool(config.spool_dir());
  if (auto error = spool.open()) throw std::runtime_error("spool " + config.spool_dir() + ": " + error->what);

  asio::io_context io(1);
  zmq::context_t zmq_context(1);
  transport::ZmqClient mda(io, zmq_context, {config.mda_endpoint()});
  mta::MdaCourier mda_courier(mda, std::chrono::milliseconds(config.deliver_timeout_ms()));
  mta::MxResolver resolver(io, config.dns());
  mta::RemoteCourier smtp_courier(io, config, resolver);
  mta::QueueRunner queue(io, spool, mda_courier, smtp_courier, config);
  mta::Intake intake(spool, queue);
  mta::BounceSender bounces(spool, queue, config, config.has_hostname() ? config.hostname() : default_hostname());
  queue.set_on_bounced([&bounces](const std::string& queue_id, const v1::SpoolMessage& original,
                                  const std::vector<v1::RecipientProgress>& bounced) {
    bounces.send(queue_id, original, bounced);
  });

  std::size_t recovered = 0;
  for (auto& message : spool.recover()) {
    const v1::Envelope& envelope = message.message.envelope();
    queue.add(message.queue_id, envelope, std::move(message.state));
    ++recovered;
  }
  transport::ZmqServer intake_server(io, zmq_context, config.intake_endpoint(),
                                     [&intake](v1::Frame request) { return intake.handle(std::move(request)); });
  queue.start();

  stop_on_signals(io, [&](int signal) {
    log::info("stopping").kv("signal", signal).kv("queued", queue.size());
    intake_server.close();
    queue.stop();
    mda.close();
    io.stop();
  });
  log::info("ready").kv("intake", config.intake_endpoint()).kv("mda", config.mda_endpoint())
      .kv("spool", config.spool_dir()).kv("recovered", recovered);
  io.run();
  log::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return mailpipe::run_process(argc, argv, "mta", run); }
