#pragma once
// Where an LMTP delivery rule sends mail: a UNIX socket (Dovecot's
// /run/dovecot/lmtp) or a numeric TCP address.
#include <asio.hpp>
#include <asio/generic/stream_protocol.hpp>
#include <optional>
#include <string>
#include <string_view>


namespace mailpipe::mda {

// "unix:/run/dovecot/lmtp", "127.0.0.1:24", "[::1]:24" (numeric: an LMTP
// server is ours, on this host or the next, and needs no DNS). nullopt with
// `problem` set when the text is none of these.
std::optional<asio::generic::stream_protocol::endpoint> parse_lmtp_server(std::string_view text, std::string& problem);

}  // namespace mailpipe::mda
