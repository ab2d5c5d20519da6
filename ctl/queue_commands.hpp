#pragma once
// The queue verbs: what to ask every MTA and how their answers add up.
// list and flush-all want every MTA; show, flush, hold, release and delete
// of one id succeed when the MTA that has the message says 250 (an id
// lives in one MTA's spool), and fail with "no such message" only when
// every MTA said so.
#include <iosfwd>
#include <string>

#include "ctl/exit_status.hpp"
#include "ctl/settings.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::ctl {

Exit queue_list(const Settings& settings, bool json, std::ostream& out, std::ostream& err);
Exit queue_show(const Settings& settings, const std::string& queue_id, bool json, std::ostream& out,
                std::ostream& err);
// flush (queue_id may be empty: everything), hold, release, delete.
Exit queue_action(const Settings& settings, v1::QueueAction action, const std::string& queue_id, std::ostream& out,
                  std::ostream& err);

}  // namespace mailpipe::ctl
