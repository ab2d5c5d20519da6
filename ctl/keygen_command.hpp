#pragma once
// mailpipectl keygen NAME: a CURVE key pair for one end of a link between
// hosts (DESIGN rule 3). NAME.key holds the pair in the CurveKeyFile
// format the processes read (key_file in LinkSecurity), mode 0600;
// NAME.pub holds the public key alone, for the peers' configs. Neither
// file is ever overwritten: a new pair means every peer's config changes.
#include <ostream>
#include <string>

#include "ctl/exit_status.hpp"

namespace mailpipe::ctl {

// NAME may be a path ("/etc/mailpipe/keys/mda"). Prints what it wrote and
// the public key. Throws Failure(Exit::failed) saying what to do.
Exit keygen(const std::string& name, std::ostream& out);

}  // namespace mailpipe::ctl
