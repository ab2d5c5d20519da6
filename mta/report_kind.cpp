#include "mta/report_kind.hpp"

#include "mailpipe.pb.h"

namespace mailpipe::mta {

bool wants_failure_notice(uint32_t notify) {
  if (notify == 0) return true;  // RFC 3461 4.1: default is FAILURE (and DELAY)
  if (notify & v1::NOTIFY_NEVER) return false;
  return (notify & v1::NOTIFY_FAILURE) != 0;
}

bool wants_report(ReportKind kind, uint32_t notify) {
  if (notify & v1::NOTIFY_NEVER) return false;
  switch (kind) {
    case ReportKind::failed: return wants_failure_notice(notify);
    case ReportKind::delayed: return notify == 0 || (notify & v1::NOTIFY_DELAY) != 0;
    case ReportKind::delivered:
    case ReportKind::relayed: return (notify & v1::NOTIFY_SUCCESS) != 0;
  }
  return false;
}

std::string report_opening(ReportKind kind) {
  switch (kind) {
    case ReportKind::delayed:
      return "####### This is a warning only. You do not need to resend your message. #######\r\n\r\n"
             "Your message could not be delivered yet to the recipients below.\r\n"
             "The mail system keeps trying (until the date in the report below)\r\n"
             "and tells you again only if it gives up.\r\n";
    case ReportKind::delivered:
      return "Your message was delivered to the mailboxes of the recipients below,\r\n"
             "as you asked (NOTIFY=SUCCESS). Its headers are attached.\r\n";
    case ReportKind::relayed:
      return "Your message was handed on to the recipients' mail servers below.\r\n"
             "Those servers do not send delivery reports, so this is the last\r\n"
             "notice you will get about it (RFC 3461 5.2.2).\r\n";
    case ReportKind::failed: break;
  }
  return "";
}

const char* report_action(ReportKind kind) {
  switch (kind) {
    case ReportKind::failed: return "failed";
    case ReportKind::delayed: return "delayed";
    case ReportKind::delivered: return "delivered";
    case ReportKind::relayed: return "relayed";
  }
  return "failed";
}

const char* report_subject(ReportKind kind) {
  switch (kind) {
    case ReportKind::failed: return "Undelivered Mail Returned to Sender";
    case ReportKind::delayed: return "Delayed Mail (still being retried)";
    case ReportKind::delivered: return "Successful Mail Delivery Report";
    case ReportKind::relayed: return "Relayed Mail Delivery Report";
  }
  return "Delivery Status Notification";
}

}  // namespace mailpipe::mta
