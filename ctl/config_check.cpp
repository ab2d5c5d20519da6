#include "ctl/config_check.hpp"

#include "common/config/config.hpp"
#include "config.pb.h"
#include "ctl/settings.hpp"
#include "mda/config/config_check.hpp"
#include "msa/config/config_check.hpp"
#include "mta/config/config_check.hpp"

namespace mailpipe::ctl {

std::optional<ConfigKind> config_kind_named(std::string_view name) {
  if (name == "msa") return ConfigKind::msa;
  if (name == "mta") return ConfigKind::mta;
  if (name == "mda") return ConfigKind::mda;
  if (name == "ctl" || name == "mailpipectl") return ConfigKind::ctl;
  return std::nullopt;
}

std::string_view config_kind_name(ConfigKind kind) {
  switch (kind) {
    case ConfigKind::msa: return "msa";
    case ConfigKind::mta: return "mta";
    case ConfigKind::mda: return "mda";
    case ConfigKind::ctl: return "ctl";
  }
  return "?";
}

std::optional<ConfigKind> infer_config_kind(std::string_view path) {
  const std::size_t slash = path.find_last_of('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (!name.ends_with(".conf")) return std::nullopt;
  if (name.starts_with("mailpipectl")) return ConfigKind::ctl;
  if (name.starts_with("msa")) return ConfigKind::msa;
  if (name.starts_with("mta")) return ConfigKind::mta;
  if (name.starts_with("mda")) return ConfigKind::mda;
  return std::nullopt;
}

namespace {

template <class Config, class Validate>
void parse_and_validate(const std::string& path, Validate validate) {
  Config config;
  validate(config, ConfigFile::parse(path, config));
}

}  // namespace

void check_config(const std::string& path, ConfigKind kind) {
  switch (kind) {
    case ConfigKind::msa: return parse_and_validate<v1::MsaConfig>(path, msa::validate);
    case ConfigKind::mta: return parse_and_validate<v1::MtaConfig>(path, mta::validate);
    case ConfigKind::mda: return parse_and_validate<v1::MdaConfig>(path, mda::validate);
    case ConfigKind::ctl: return parse_and_validate<v1::CtlConfig>(path, ctl::validate);
  }
}

}  // namespace mailpipe::ctl
