#pragma once
// What an MDA config must say beyond its schema (MdaConfig in
// proto/config.proto). Used at start, on SIGHUP, by `mda --check` and
// `mailpipectl check`.
#include "common/config/config.hpp"
#include "config.pb.h"

namespace mailpipe::mda {

// Throws ConfigError "path: missing required key ...".
void validate(const v1::MdaConfig& config, const ConfigFile& file);

}  // namespace mailpipe::mda
