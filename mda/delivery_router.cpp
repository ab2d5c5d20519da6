#include "mda/delivery_router.hpp"

#include <unistd.h>

#include <map>
#include <optional>
#include <stdexcept>

#include "common/log/log.hpp"
#include "mda/config/delivery_rules.hpp"
#include "mda/config/lmtp_server_address.hpp"

namespace mailpipe::mda {
namespace {

std::string rule_name(int index, const v1::DeliveryRule& rule) {
  return "delivery rule " + std::to_string(index + 1) + " (match \"" + rule.match() + "\")";
}

}  // namespace

const char* method_name(v1::DeliveryMethod method) {
  switch (method) {
    case v1::LMTP: return "lmtp";
    case v1::PIPE: return "pipe";
    default: return "maildir";
  }
}

DeliveryRouter::DeliveryRouter(const v1::MdaConfig& config, std::string hostname, Observer observer,
                               BlockingWork* work)
    : work_(work),
      rules_(config.delivery()),
      hostname_(hostname),
      maildir_({config.mail_root(), std::move(hostname)}),
      observer_(std::move(observer)) {
  for (int i = 0; i < rules_.size(); ++i) {
    const v1::DeliveryRule& rule = rules_[i];
    Route route;
    route.method = rule.method();
    const std::chrono::milliseconds timeout(rule.timeout_ms());
    if (rule.method() == v1::LMTP) {
      std::string problem;
      const auto endpoint = parse_lmtp_server(rule.server(), problem);
      if (!endpoint) throw std::runtime_error(rule_name(i, rule) + ": server: " + problem);
      route.lmtp = LmtpTarget{rule.server(), *endpoint, timeout};
    } else if (rule.method() == v1::PIPE) {
      route.pipe.command.assign(rule.command().begin(), rule.command().end());
      route.pipe.timeout = timeout;
      if (rule.has_user()) {
        try {
          route.pipe.user = resolve_child_user(rule.user());
        } catch (const std::exception& e) {
          throw std::runtime_error(rule_name(i, rule) + ": " + e.what());
        }
        if (::geteuid() != 0 && ::geteuid() != route.pipe.user->uid) {
          throw std::runtime_error(rule_name(i, rule) + ": cannot run the command as " + rule.user() +
                                   ": the MDA is not root (it runs as uid " + std::to_string(::geteuid()) +
                                   "); start it as root without its own `user`");
        }
      } else if (::geteuid() == 0) {
        log::warning("pipe_runs_as_root").kv("rule", i + 1).kv("command", rule.command(0))
            .kv("reason", "no `user` in the rule and the MDA runs as root");
      }
    }
    routes_.push_back(std::move(route));
  }
}

int DeliveryRouter::route_for(const std::string& address) const {
  const int rule = find_rule(rules_, address);
  if (rule < 0 || rules_[rule].method() == v1::MAILDIR) return -1;
  return rule;
}

void DeliveryRouter::report(const v1::Deliver& request, const Route* route, const v1::RecipientResult& result,
                            const ChildResult* run) const {
  const v1::DeliveryMethod method = route ? route->method : v1::MAILDIR;
  if (observer_) observer_(method, result);
  if (route == nullptr) return;  // MaildirDelivery logs its own lines
  const v1::Status& status = result.status();
  const char* event = result.outcome() == v1::DELIVERED ? "delivered"
                      : result.outcome() == v1::TEMPFAIL ? "deferred" : "refused";
  auto line = result.outcome() == v1::DELIVERED ? log::info(event) : log::warning(event);
  line.kv("queue_id", request.envelope().queue_id()).kv("delivery_id", request.delivery_id())
      .kv("to", result.address()).kv("method", method_name(method));
  if (method == v1::LMTP) line.kv("server", route->lmtp.server);
  if (method == v1::PIPE) {
    line.kv("command", route->pipe.command.front());
    if (run && run->end == ChildResult::End::exited) line.kv("exit", run->exit_code);
  }
  line.kv("code", status.code()).kv("dsn", status.enhanced()).kv("status", status.text());
}

asio::awaitable<v1::DeliverReply> DeliveryRouter::deliver(const v1::Deliver& request) const {
  const int count = request.recipients_size();
  std::vector<std::optional<v1::RecipientResult>> results(static_cast<std::size_t>(count));
  std::vector<int> route_of(static_cast<std::size_t>(count));
  // LMTP recipients by server (and bound): each group is one transaction.
  std::map<std::pair<std::string, uint32_t>, std::vector<int>> lmtp_groups;
  std::vector<int> maildir_members;
  for (int i = 0; i < count; ++i) {
    const std::string& address = request.recipients(i).address();
    route_of[i] = route_for(address);
    if (route_of[i] < 0) {
      maildir_members.push_back(i);
    } else if (routes_[route_of[i]].method == v1::LMTP) {
      const LmtpTarget& target = routes_[route_of[i]].lmtp;
      lmtp_groups[{target.server, static_cast<uint32_t>(target.timeout.count())}].push_back(i);
    }
  }
  if (!maildir_members.empty()) {
    // One job on a worker; `request` and `results` stay untouched here
    // until it is done.
    co_await run_blocking(work_, [this, &request, &maildir_members, &results] {
      for (int i : maildir_members) results[i] = maildir_.deliver_to(request, request.recipients(i).address());
      return true;
    });
    for (int i : maildir_members) report(request, nullptr, *results[i], nullptr);
  }
  for (const auto& [key, members] : lmtp_groups) {
    const Route& route = routes_[route_of[members.front()]];
    LmtpMessage message{&request.envelope(), {}, &request.message()};
    for (int i : members) message.recipients.push_back(request.recipients(i).address());
    const std::vector<v1::RecipientResult> answers = co_await deliver_by_lmtp(route.lmtp, hostname_, message);
    for (std::size_t k = 0; k < members.size(); ++k) {
      results[members[k]] = answers[k];
      report(request, &route, answers[k], nullptr);
    }
  }
  for (int i = 0; i < count; ++i) {
    if (route_of[i] < 0 || routes_[route_of[i]].method != v1::PIPE) continue;
    const Route& route = routes_[route_of[i]];
    PipeOutcome outcome = co_await deliver_by_pipe(route.pipe, request, request.recipients(i).address());
    report(request, &route, outcome.result, outcome.run ? &*outcome.run : nullptr);
    results[i] = std::move(outcome.result);
  }

  v1::DeliverReply reply;
  reply.set_delivery_id(request.delivery_id());
  for (auto& result : results) *reply.add_results() = std::move(*result);
  co_return reply;
}

}  // namespace mailpipe::mda
