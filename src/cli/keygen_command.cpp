// `edgeai keygen PREFIX`: an Ed25519 key pair for signing releases and metadata
// (format/trust.hpp): PREFIX.key (secret, 0600, never overwritten) and PREFIX.pub.
#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "format/trust.hpp"

namespace edgeai::cli {

Action add_keygen_command(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand(
      "keygen",
      "Make an Ed25519 key pair: PREFIX.key (secret, owner-only, never overwritten) and PREFIX.pub. The release key "
      "signs bundles' target metadata and stays offline; the server's online key signs timestamps; the root key "
      "signs the others' public keys and is what devices pin at enrollment");
  auto prefix = std::make_shared<std::string>();
  cmd->add_option("prefix", *prefix, "path and name of the key files, without extension (e.g. keys/release)")
      ->required();
  return [cmd, prefix]() -> int {
    if (!cmd->parsed()) return 1;
    const std::filesystem::path parent = std::filesystem::path(*prefix).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent)) {
      throw CommandError(str_cat(parent.string(), ": no such directory"));
    }
    const KeyPair keys = generate_key_pair();
    check(write_key_files(*prefix, keys));
    std::printf("wrote %s.key (secret: keep it offline) and %s.pub\nkey id %s\n", prefix->c_str(), prefix->c_str(),
                key_id(keys.public_key).c_str());
    return 0;
  };
}

}  // namespace edgeai::cli
