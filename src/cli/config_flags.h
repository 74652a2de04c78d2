// A trainer-config key given as a flag (qcv train / qat) is checked by the same rule as the YAML
// key, at parse time, so a bad value is a usage error (exit 2) naming the flag.
#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "config/train_config.h"
#include "ir/error.h"

namespace qcv::cli {

inline CLI::Validator config_value(const std::string& key) {
  return CLI::Validator(
      [key](std::string& text) -> std::string {
        try {
          train::TrainConfig scratch;
          train::set_config_value(scratch, key, text);
          return "";
        } catch (const Error& e) {
          return e.what();
        }
      },
      "VALUE");
}

}  // namespace qcv::cli
