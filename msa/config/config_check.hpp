#pragma once
// What an MSA config must say beyond its schema (MsaConfig in
// proto/config.proto): listeners that parse, TLS, users, an MTA to submit
// to. Used at start, on SIGHUP, by `msa --check` and `mailpipectl check`.
#include "common/config/config.hpp"
#include "config.pb.h"

namespace mailpipe::msa {

// Throws ConfigError "file:line:col: key: what is wrong".
void validate(const v1::MsaConfig& config, const ConfigFile& file);

}  // namespace mailpipe::msa
