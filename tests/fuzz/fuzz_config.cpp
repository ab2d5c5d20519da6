// Fuzz target: the config loader, mailpipe::ConfigFile (Protobuf text
// format against proto/config.proto, errors as file:line:column).
//
// Input: the text of a config file. It is written to a file, as the
// processes read it, and loaded as an msa, mta and mda config. Checks,
// besides the sanitizers:
//  - a file that does not load is refused with ConfigError, whose message
//    starts with the file name (the "file:line:column" an operator needs),
//    never with another exception or a crash;
//  - a file that loads can be asked where its fields are (ConfigFile::where
//    on every top-level field), and printed back in text format it loads
//    again to an equal config.
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/util/message_differencer.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "common/config/config.hpp"
#include "config.pb.h"
#include "tests/fuzz/check.hpp"

namespace {

namespace pb = google::protobuf;

std::string path;

void write_file(const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  FUZZ_CHECK(file != nullptr, "the fuzzer can write its temporary config file");
  std::fwrite(text.data(), 1, text.size(), file);
  std::fclose(file);
}

template <typename Config>
void check_load(const std::string& text) {
  write_file(text);
  Config config;
  try {
    const auto file = mailpipe::ConfigFile::parse(path, config);
    const auto* descriptor = config.GetDescriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const std::string where = file.where({descriptor->field(i)->name()});
      FUZZ_CHECK(where.starts_with(path), "where() names the file");
    }
  } catch (const mailpipe::ConfigError& error) {
    FUZZ_CHECK(std::string_view(error.what()).starts_with(path), "a config error starts with the file name");
    return;
  }
  std::string printed;
  FUZZ_CHECK(pb::TextFormat::PrintToString(config, &printed), "a loaded config prints");
  write_file(printed);
  Config again;
  try {
    mailpipe::ConfigFile::parse(path, again);
  } catch (const mailpipe::ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    FUZZ_CHECK(false, "a loaded config printed back loads again");
  }
  FUZZ_CHECK(pb::util::MessageDifferencer::Equals(config, again), "a loaded config printed back is the same");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  const char* dir = std::getenv("TMPDIR");
  path = std::string(dir && *dir ? dir : "/tmp") + "/mailpipe-fuzz-config." + std::to_string(getpid()) + ".conf";
  std::atexit([] { std::remove(path.c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  check_load<mailpipe::v1::MsaConfig>(text);
  check_load<mailpipe::v1::MtaConfig>(text);
  check_load<mailpipe::v1::MdaConfig>(text);
  return 0;
}
