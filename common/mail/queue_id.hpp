#pragma once
// Queue ids: one id follows a mail across every process and host, so an
// operator can grep for it. Uppercase [0-9A-Z], sortable by creation time
// (10 characters of milliseconds since the epoch in base 32) followed by
// 8 random characters, e.g. "01KA3ZK8F2X7Q2M4PA".
#include <string>
#include <string_view>

namespace mailpipe {

std::string new_queue_id();

// Ids arrive from other processes and become file names: only 8..40
// characters of [0-9A-Z] pass, which rules out path tricks.
bool is_valid_queue_id(std::string_view id);

}  // namespace mailpipe
