#pragma once
// Final delivery of a Deliver request: one Maildir file per recipient at
// <mail_root>/<domain>/<local part>/, with Return-Path and Delivered-To on
// top (RFC 5321 4.4) and LF line ends, as Dovecot and mutt expect. Each
// recipient's outcome is DELIVERED only once its file is durable.
//
// Recipient names become paths: anything but a plain lowercase name is
// refused (PERMFAIL 5.1.3) so no address can climb out of mail_root.
#include <string>
#include <string_view>

#include "common/os/durable_file.hpp"
#include "mailpipe.pb.h"

namespace mailpipe::mda {

struct MaildirDeliveryConfig {
  std::string mail_root;
  std::string hostname;  // in Maildir file names
};

class MaildirDelivery final {
 public:
  explicit MaildirDelivery(MaildirDeliveryConfig config);
  v1::DeliverReply deliver(const v1::Deliver& request) const;
  // One recipient of `request` (a DeliveryRouter sends each its own way).
  v1::RecipientResult deliver_to(const v1::Deliver& request, const std::string& address) const;

  // "<mail_root>/<domain>/<local>" or "" when the address is not safe as a
  // path (public for tests).
  std::string mailbox_path(const std::string& address) const;

 private:
  MaildirDeliveryConfig config_;
};

// "Return-Path: <from>\nDelivered-To: <to>\n" + message with CRLF -> LF
// (a null sender gives "Return-Path: <>"). Control bytes in the two
// header values become '?', so they cannot add headers.
std::string maildir_content(const std::string& mail_from, const std::string& recipient, std::string_view message);

// The TEMPFAIL status for a failed write: 452 4.3.1 when the disk or quota
// is full (ENOSPC, EDQUOT), 451 4.3.0 with the error text otherwise.
v1::Status status_for_write_error(const IoError& error);

}  // namespace mailpipe::mda
