#pragma once
// Base64 for SASL exchanges: the strict form of the one codec in
// common/text/base64.hpp (standard alphabet, padding required, no
// whitespace, zero pad bits), so one text decodes one way only. RFC 4954's
// "=" for an empty response is the caller's to handle.
#include "common/text/base64.hpp"

namespace mailpipe::auth {

using mailpipe::base64_decode;
using mailpipe::base64_encode;

}  // namespace mailpipe::auth
