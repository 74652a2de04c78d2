// The qcv subcommands. Each add_*_command registers one subcommand (its flags and --help) on the
// app; its callback throws qcv::Error on bad input, which main() turns into one line and exit 1.
#pragma once
#include <CLI/CLI.hpp>

namespace qcv::cli {

void add_models_command(CLI::App& app);
void add_export_command(CLI::App& app);
void add_export_tflite_command(CLI::App& app);  // cmd_export_tflite.cpp (tflite)
void add_optimize_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_eval_command(CLI::App& app);      // cmd_eval.cpp (runtime backend; torch backend if built)
void add_classify_command(CLI::App& app);  // cmd_classify.cpp
void add_ptq_command(CLI::App& app);       // cmd_ptq.cpp (quant + runtime + data)
void add_sensitivity_command(CLI::App& app);  // cmd_sensitivity.cpp (quant + runtime + data)
void add_tune_command(CLI::App& app);         // cmd_tune.cpp (quant + runtime + data)
void add_shards_command(CLI::App& app);    // cmd_shards.cpp (data)
void add_train_command(CLI::App& app);     // cmd_train.cpp, only with LibTorch
void add_qat_command(CLI::App& app);       // cmd_qat.cpp (quant + train + runtime)
void add_workflow_command(CLI::App& app);  // cmd_workflow.cpp (everything)

}  // namespace qcv::cli
