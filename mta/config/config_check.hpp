#pragma once
// What an MTA config must say beyond its schema (MtaConfig in
// proto/config.proto): required keys, listen addresses that parse, an MX
// that can tell users from strangers, a local admin socket. Used at start,
// on SIGHUP, by `mta --check` and by `mailpipectl check`.
#include "common/config/config.hpp"
#include "config.pb.h"

namespace mailpipe::mta {

// Throws ConfigError "file:line:col: key: what is wrong".
void validate(const v1::MtaConfig& config, const ConfigFile& file);

}  // namespace mailpipe::mta
