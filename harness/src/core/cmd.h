/* cmd.h: the sub-commands of the speedlab program, one function each. */
#ifndef SL_CMD_H
#define SL_CMD_H

/* Each takes argv after the sub-command name (argv[0] is the sub-command) and returns an exit code. */
int sl_cmd_list(int argc, char **argv);
int sl_cmd_sysinfo(int argc, char **argv);
int sl_cmd_run(int argc, char **argv);
int sl_cmd_table(int argc, char **argv);
int sl_cmd_plot(int argc, char **argv);
int sl_cmd_report(int argc, char **argv);
int sl_cmd_compare(int argc, char **argv);
int sl_cmd_baseline(int argc, char **argv);
int sl_cmd_slurm(int argc, char **argv);

/* Longer help for `speedlab CMD --help`, after the usage line (help.c). Never fails. */
void sl_cmd_help_extra(const char *cmd);

#endif
