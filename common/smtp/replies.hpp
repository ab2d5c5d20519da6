#pragma once
// Every SMTP reply a client can see, in one table. Basic codes from RFC 5321
// section 4.2, enhanced codes from RFC 3463 (and 4954, 3207, 6531 where they
// define their own). Handlers return these; nothing else types a code.
#include <cstddef>
#include <string>
#include <string_view>

#include "common/smtp/reply.hpp"

namespace mailpipe::smtp::replies {

inline Reply make(int code, std::string_view enhanced, std::string_view text) {
  return Reply{code, std::string(enhanced), std::string(text)};
}

// --- positive ---------------------------------------------------------
inline Reply greeting(std::string_view host) { return make(220, "", std::string(host) + " ESMTP mailpipe"); }
inline Reply closing(std::string_view host) { return make(221, "2.0.0", std::string(host) + " closing connection"); }
inline Reply helo_ok(std::string_view host) { return make(250, "", std::string(host)); }
inline Reply ok() { return make(250, "2.0.0", "Ok"); }
inline Reply sender_ok() { return make(250, "2.1.0", "Sender ok"); }
inline Reply recipient_ok() { return make(250, "2.1.5", "Recipient ok"); }
inline Reply start_data() { return make(354, "", "End data with <CR><LF>.<CR><LF>"); }
inline Reply queued(std::string_view queue_id) { return make(250, "2.0.0", "Ok: queued as " + std::string(queue_id)); }
inline Reply vrfy_cannot() { return make(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery"); }
inline Reply help() { return make(214, "2.0.0", "mailpipe: see RFC 5321"); }
inline Reply ready_for_tls() { return make(220, "2.0.0", "Ready to start TLS"); }
inline Reply auth_challenge(std::string_view base64) { return make(334, "", base64); }
inline Reply auth_succeeded() { return make(235, "2.7.0", "Authentication successful"); }

// --- syntax and sequence (RFC 5321 4.2.4, RFC 3463 X.5.x) -------------
inline Reply command_unrecognized() { return make(500, "5.5.2", "Syntax error, command unrecognized"); }
inline Reply line_too_long() { return make(500, "5.5.2", "Line too long (RFC 5321 4.5.3.1)"); }
inline Reply bare_newline_in_command() { return make(500, "5.5.2", "Bare CR or LF in command; lines end with CRLF (RFC 5321 2.3.8)"); }
inline Reply nul_in_command() { return make(500, "5.5.2", "NUL byte in command"); }
inline Reply syntax_error(std::string_view what) { return make(501, "5.5.4", "Syntax error: " + std::string(what)); }
inline Reply bad_address_syntax(std::string_view what) { return make(501, "5.1.3", "Bad address syntax: " + std::string(what)); }
inline Reply bad_sender_syntax(std::string_view what) { return make(501, "5.1.7", "Bad sender address syntax: " + std::string(what)); }
inline Reply not_implemented() { return make(502, "5.5.1", "Command not implemented"); }
inline Reply bad_sequence(std::string_view what) { return make(503, "5.5.1", std::string(what)); }
inline Reply parameter_unrecognized(std::string_view param) { return make(555, "5.5.4", "Unsupported parameter: " + std::string(param)); }
inline Reply no_valid_recipients() { return make(554, "5.5.1", "No valid recipients"); }
inline Reply too_many_errors() { return make(421, "4.7.0", "Too many errors, closing connection"); }

// --- limits -------------------------------------------------------------
inline Reply too_many_recipients() { return make(452, "4.5.3", "Too many recipients"); }
inline Reply message_too_big() { return make(552, "5.3.4", "Message size exceeds fixed limit"); }
inline Reply text_line_too_long() { return make(500, "5.5.2", "Message line too long (RFC 5321 4.5.3.1.6: 1000 octets)"); }
// CVE-2023-51764 and kin: a bare LF or CR in DATA could hide a second message.
inline Reply bare_newline_in_data() { return make(550, "5.6.0", "Message refused: bare CR or LF in data; lines end with CRLF (RFC 5321 2.3.8)"); }
inline Reply nul_in_data() { return make(550, "5.6.0", "Message refused: NUL byte in data"); }
inline Reply non_ascii_address() { return make(553, "5.6.7", "Non-ASCII address requires SMTPUTF8 (RFC 6531)"); }
inline Reply timeout(std::string_view host) { return make(421, "4.4.2", std::string(host) + " Timeout, closing connection"); }
inline Reply too_many_connections() { return make(421, "4.7.0", "Too many connections, try again later"); }
inline Reply too_many_connections_from_client() { return make(421, "4.7.0", "Too many connections from your address, try again later"); }
inline Reply shutting_down(std::string_view host) { return make(421, "4.3.2", std::string(host) + " Service shutting down, try again later"); }

// --- TLS and AUTH (RFC 3207, RFC 4954) --------------------------------
inline Reply tls_already_active() { return make(503, "5.5.1", "TLS already active"); }
inline Reply tls_not_available() { return make(454, "4.7.0", "TLS not available"); }
inline Reply tls_required() { return make(530, "5.7.0", "Must issue a STARTTLS command first"); }
inline Reply auth_required() { return make(530, "5.7.0", "Authentication required"); }
inline Reply already_authenticated() { return make(503, "5.5.1", "Already authenticated"); }
inline Reply auth_mechanism_unknown() { return make(504, "5.5.4", "Unrecognized authentication mechanism"); }
inline Reply auth_cancelled() { return make(501, "5.0.0", "Authentication cancelled"); }
inline Reply auth_line_too_long() { return make(500, "5.5.6", "Authentication Exchange line is too long"); }
inline Reply auth_bad_base64() { return make(501, "5.5.2", "Cannot decode base64 response"); }
inline Reply auth_failed() { return make(535, "5.7.8", "Authentication credentials invalid"); }
inline Reply auth_too_many_failures() { return make(421, "4.7.0", "Too many authentication failures, closing connection"); }
inline Reply auth_locked_out() { return make(454, "4.7.0", "Too many authentication failures from your address, try again later"); }
inline Reply auth_temporary_failure() { return make(454, "4.7.0", "Temporary authentication failure"); }

// --- policy -------------------------------------------------------------
inline Reply sender_not_owned() { return make(553, "5.7.1", "Sender address rejected: not owned by authenticated user"); }
inline Reply relay_denied() { return make(554, "5.7.1", "Relay access denied"); }
inline Reply unknown_user() { return make(550, "5.1.1", "Recipient address rejected: user unknown"); }
// Aliases that loop or explode are our configuration error: 4xx, so the
// sender keeps the mail until the administrator fixes the aliases file.
inline Reply alias_loop() { return make(451, "4.4.6", "Recipient address deferred: local alias loop, try again later"); }
inline Reply alias_expansion_too_large() { return make(451, "4.3.0", "Recipient address deferred: local alias expansion too large, try again later"); }
// RFC 5321 6.3: a message that went through too many MTAs is looping;
// 5.4.6 is "routing loop detected" (RFC 3463).
inline Reply too_many_hops(std::size_t limit) { return make(554, "5.4.6", "Too many hops (more than " + std::to_string(limit) + " Received headers): mail loop"); }
inline Reply loops_back_to_myself(std::string_view domain) { return make(554, "5.4.6", "mail for " + std::string(domain) + " loops back to myself"); }

// --- queue ----------------------------------------------------------------
inline Reply queue_unavailable() { return make(451, "4.3.0", "Temporary failure: queue unavailable, try again later"); }
inline Reply queue_full() { return make(452, "4.3.1", "Insufficient system storage, try again later"); }

}  // namespace mailpipe::smtp::replies
