// cmds.h — the trainer's CLI subcommands (argv after the subcommand name; exit codes).
#ifndef LM_TRAIN_CMDS_H
#define LM_TRAIN_CMDS_H

// pocketlm train: train or QAT-fine-tune a gemma4 model on a text (cmd_train.c)
int cmd_train(int argc, char **argv);
// pocketlm train-export: a checkpoint to GGUF F32/F16/Q4_0/GGUF-M (cmd_eval.c)
int cmd_train_export(int argc, char **argv);
// pocketlm ppl: perplexity of any loadable model on a text, through the engine (cmd_eval.c)
int cmd_ppl(int argc, char **argv);

#endif
