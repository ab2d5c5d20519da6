#pragma once
// `mailpipectl check CONFIG`: loads a config file with the schema and the
// checks of the process that reads it (msa::validate, mta::validate,
// mda::validate, or mailpipectl's own), so a file that passes here is one
// the process would start with.
#include <optional>
#include <string>
#include <string_view>

namespace mailpipe::ctl {

enum class ConfigKind { msa, mta, mda, ctl };

// "msa", "mta", "mda", "ctl".
std::optional<ConfigKind> config_kind_named(std::string_view name);
std::string_view config_kind_name(ConfigKind kind);

// From the file name, as deploy/ and the docs name them: msa*.conf,
// mta*.conf, mda*.conf, mailpipectl*.conf. nullopt when it does not tell.
std::optional<ConfigKind> infer_config_kind(std::string_view path);

// Throws ConfigError ("file:line:column: what is wrong") when the file
// would not start its process.
void check_config(const std::string& path, ConfigKind kind);

}  // namespace mailpipe::ctl
