/* test_config.c - the gpux.yml reader: every key, both inputs forms,
 * defaults, path resolution, each error with its line:column, and a fuzz
 * loop over mutated files. Runs in tests/unit (fixtures under yml/); small
 * inline files go to a mkdtemp folder under /tmp that holds a stub model. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test.h"

static char tmpdir[64]; /* holds stub.onnx and t.yml */

/* All diagnostics joined by newlines (malloc'd). */
static char *diag_text(const Diag *d) {
  StrBuf b;
  sb_init(&b);
  for (int i = 0; i < d->n; i++) sb_printf(&b, "%s\n", d->msgs[i].text);
  return sb_take(&b);
}

/* Loads a fixture; returns cfg_load's result, messages in *msgs. */
static int load(const char *path, GpuxConfig *cfg, Diag *d, char **msgs) {
  diag_init(d);
  int rc = cfg_load(path, cfg, d);
  *msgs = diag_text(d);
  return rc;
}

/* Writes text to TMP/t.yml and loads it. */
static int load_text(const char *text, GpuxConfig *cfg, Diag *d, char **msgs) {
  char path[128];
  snprintf(path, sizeof path, "%s/t.yml", tmpdir);
  if (write_file(path, text, strlen(text)) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
  return load(path, cfg, d, msgs);
}

static void done(GpuxConfig *cfg, Diag *d, char *msgs) {
  cfg_free(cfg);
  diag_free(d);
  free(msgs);
}

/* The first four lines of every inline file: all that is required. */
#define HEAD "name: m\nversion: '1'\nmodel:\n  source: stub.onnx\n"

/* Loads HEAD + body; expects exactly nerr errors, the first containing want. */
static void expect_error(const char *body, int nerr, const char *want, int line) {
  GpuxConfig cfg;
  Diag d;
  char *msgs, text[4096];
  snprintf(text, sizeof text, "%s%s", HEAD, body);
  int rc = load_text(text, &cfg, &d, &msgs);
  if (rc == 0 || d.nerrors != nerr || !strstr(msgs, want)) {
    fprintf(stderr, "  (case at line %d, %d errors)\n", line, d.nerrors);
    CHECK(rc != 0);
    CHECK_EQ_INT(d.nerrors, nerr);
    CHECK_CONTAINS(msgs, want);
  }
  CHECK(cfg.name == NULL && cfg.inputs == NULL); /* freed on failure */
  done(&cfg, &d, msgs);
}
#define EXPECT_ERROR(body, nerr, want) expect_error(body, nerr, want, __LINE__)

TEST(test_full) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK_EQ_INT(load("yml/full.yml", &cfg, &d, &msgs), 0);
  CHECK_STR(msgs, "");
  CHECK_STR(cfg.path, "yml/full.yml");
  CHECK_STR(cfg.dir, "yml");
  CHECK_STR(cfg.name, "resnet50");
  CHECK_STR(cfg.version, "1.0");
  CHECK_STR(cfg.model_source, "stub.onnx");
  CHECK_STR(cfg.model_path, "yml/stub.onnx");
  CHECK_EQ_INT(cfg.model_source_pos.line, 5);
  CHECK_EQ_INT(cfg.model_source_pos.col, 11);
  CHECK_STR(cfg.model_format, "onnx");
  CHECK_STR(cfg.model_version, "opset-17");
  CHECK_EQ_INT(cfg.ninputs, 2);
  if (cfg.ninputs == 2) {
    CfgTensor *a = &cfg.inputs[0], *b = &cfg.inputs[1];
    CHECK_STR(a->name, "image");
    CHECK_STR(a->type, "float32");
    CHECK_EQ_INT(a->dtype, DT_F32);
    CHECK_EQ_INT(a->has_shape, 1);
    CHECK_EQ_INT(a->rank, 4);
    CHECK_EQ_INT(a->dims[0], -1);
    CHECK_EQ_INT(a->dims[1], 3);
    CHECK_EQ_INT(a->dims[3], 224);
    CHECK_EQ_INT(a->required, 1);
    CHECK_STR(a->description, "RGB image, NCHW");
    CHECK_EQ_INT(a->pos.line, 9);
    CHECK_EQ_INT(a->pos.col, 3);
    CHECK_EQ_INT(a->shape_pos.line, 11);
    CHECK_EQ_INT(a->shape_pos.col, 12);
    CHECK_STR(b->name, "mask");
    CHECK_EQ_INT(b->dtype, DT_BOOL);
    CHECK_EQ_INT(b->rank, 4);
    CHECK(b->dims[0] == -1 && b->dims[1] == -1 && b->dims[2] == -1 && b->dims[3] == 7);
    CHECK_EQ_INT(b->required, 0);
    CHECK(b->description == NULL && b->labels == NULL);
  }
  CHECK_EQ_INT(cfg.noutputs, 1);
  if (cfg.noutputs == 1) {
    CfgTensor *o = &cfg.outputs[0];
    CHECK_STR(o->name, "probs");
    CHECK_STR(o->type, "float");
    CHECK_EQ_INT(o->dtype, DT_F32);
    CHECK_EQ_INT(o->rank, 2);
    CHECK_EQ_INT(o->dims[1], 1000);
    CHECK_EQ_INT(o->nlabels, 3);
    if (o->nlabels == 3) {
      CHECK_STR(o->labels[0], "cat");
      CHECK_STR(o->labels[2], "bird, small");
    }
    CHECK_STR(o->description, "class probabilities");
  }
  done(&cfg, &d, msgs);
}

TEST(test_full_sections) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK_EQ_INT(load("yml/full.yml", &cfg, &d, &msgs), 0);
  CHECK_STR(cfg.runtime.memory, "2GB");
  CHECK_EQ_INT(cfg.runtime.memory_bytes, 2LL << 30);
  CHECK_STR(cfg.runtime.backend, "cuda");
  CHECK_EQ_INT(cfg.runtime.batch_size, 4);
  CHECK_EQ_INT(cfg.runtime.has_batch_size, 1);
  CHECK_EQ_INT(cfg.runtime.timeout, 60);
  CHECK_STR(cfg.serving.host, "127.0.0.1");
  CHECK_EQ_INT(cfg.serving.port, 9090);
  CHECK_EQ_INT(cfg.serving.batch_size, 8);
  CHECK_EQ_INT(cfg.serving.timeout, 10);
  CHECK_STR(cfg.preprocessing.tokenizer, "bert-base-uncased");
  CHECK_EQ_INT(cfg.preprocessing.max_length, 128);
  CHECK_EQ_INT(cfg.preprocessing.has_resize, 1);
  CHECK_EQ_INT(cfg.preprocessing.resize[0], 320);
  CHECK_EQ_INT(cfg.preprocessing.resize[1], 240);
  CHECK_STR(cfg.preprocessing.normalize, "imagenet");
  CHECK_STR(cfg.build.target, "cuda");
  CHECK_EQ_INT(cfg.build.optimize, 3);
  CHECK_STR(cfg.build.precision, "fp16");
  CHECK_EQ_INT(cfg.build.profile, 1);
  CHECK_EQ_INT(cfg.build.http, 1);
  CHECK_STR(cfg.build.quantize, "{mode: int8, per_channel: true}");
  CHECK_STR(cfg.build.prune, "0.5");
  CHECK_STR(cfg.build.partition, "auto");
  done(&cfg, &d, msgs);
}

TEST(test_list_form) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK_EQ_INT(load("yml/list_inputs.yml", &cfg, &d, &msgs), 0);
  CHECK_STR(msgs, "");
  CHECK_STR(cfg.version, "2");
  CHECK_EQ_INT(cfg.ninputs, 2);
  if (cfg.ninputs == 2) {
    CHECK_STR(cfg.inputs[0].name, "input_ids");
    CHECK_EQ_INT(cfg.inputs[0].dtype, DT_I64);
    CHECK_EQ_INT(cfg.inputs[0].rank, 2);
    CHECK_EQ_INT(cfg.inputs[0].dims[0], 1);
    CHECK_EQ_INT(cfg.inputs[0].dims[1], -1);
    CHECK_EQ_INT(cfg.inputs[0].required, 1);
    CHECK_EQ_INT(cfg.inputs[0].pos.line, 7);
    CHECK_EQ_INT(cfg.inputs[0].pos.col, 5);
    CHECK_STR(cfg.inputs[1].name, "attention_mask");
    CHECK_EQ_INT(cfg.inputs[1].required, 0);
  }
  CHECK_EQ_INT(cfg.noutputs, 1);
  if (cfg.noutputs == 1) {
    CHECK_STR(cfg.outputs[0].name, "logits");
    CHECK_EQ_INT(cfg.outputs[0].nlabels, 2);
  }
  done(&cfg, &d, msgs);
}

TEST(test_defaults) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK_EQ_INT(load("yml/minimal.yml", &cfg, &d, &msgs), 0);
  CHECK_STR(cfg.name, "tiny");
  CHECK_STR(cfg.version, "0.1");
  CHECK_STR(cfg.model_format, "onnx");
  CHECK(cfg.model_version == NULL);
  CHECK_EQ_INT(cfg.ninputs, 0);
  CHECK_EQ_INT(cfg.noutputs, 0);
  CHECK_STR(cfg.runtime.backend, "auto");
  CHECK(cfg.runtime.memory == NULL);
  CHECK_EQ_INT(cfg.runtime.memory_bytes, 0);
  CHECK_EQ_INT(cfg.runtime.batch_size, 1);
  CHECK_EQ_INT(cfg.runtime.has_batch_size, 0);
  CHECK_EQ_INT(cfg.runtime.timeout, 30);
  CHECK_STR(cfg.serving.host, "0.0.0.0");
  CHECK_EQ_INT(cfg.serving.port, 8080);
  CHECK_EQ_INT(cfg.serving.batch_size, 1);
  CHECK_EQ_INT(cfg.serving.timeout, 5);
  CHECK(cfg.preprocessing.tokenizer == NULL && cfg.preprocessing.normalize == NULL);
  CHECK_EQ_INT(cfg.preprocessing.has_resize, 0);
  CHECK_EQ_INT(cfg.preprocessing.max_length, 0);
  CHECK(cfg.build.target == NULL && cfg.build.precision == NULL);
  CHECK_EQ_INT(cfg.build.optimize, 2);
  CHECK(cfg.build.profile == 0 && cfg.build.http == 0);
  CHECK(cfg.build.quantize == NULL && cfg.build.prune == NULL && cfg.build.partition == NULL);
  done(&cfg, &d, msgs);

  cfg_defaults(&cfg, "models/resnet50.v2.onnx");
  CHECK_STR(cfg.name, "resnet50.v2");
  CHECK_STR(cfg.version, "1.0");
  CHECK_STR(cfg.model_path, "models/resnet50.v2.onnx");
  CHECK_STR(cfg.model_format, "onnx");
  CHECK_EQ_INT(cfg.serving.port, 8080);
  CHECK_EQ_INT(cfg.build.optimize, 2);
  cfg_free(&cfg);
  cfg_defaults(&cfg, "plain");
  CHECK_STR(cfg.name, "plain");
  cfg_free(&cfg);
  cfg_defaults(&cfg, "dir/");
  CHECK_STR(cfg.name, "model");
  cfg_free(&cfg);
  cfg_free(&cfg); /* a zeroed config frees to nothing */
}

TEST(test_relative_path) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK_EQ_INT(load("yml/sub/nested.yml", &cfg, &d, &msgs), 0);
  CHECK_STR(msgs, "");
  CHECK_STR(cfg.dir, "yml/sub");
  CHECK_STR(cfg.model_source, "../stub.onnx");
  CHECK_STR(cfg.model_path, "yml/sub/../stub.onnx");
  done(&cfg, &d, msgs);

  /* an absolute source is kept as it is */
  char text[512], want[256];
  snprintf(want, sizeof want, "%s/stub.onnx", tmpdir);
  snprintf(text, sizeof text, "name: a\nversion: '1'\nmodel:\n  source: %s\n", want);
  CHECK_EQ_INT(load_text(text, &cfg, &d, &msgs), 0);
  CHECK_STR(cfg.model_path, want);
  done(&cfg, &d, msgs);
}

TEST(test_fixture_errors) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK(load("yml/bad_key.yml", &cfg, &d, &msgs) != 0);
  CHECK_EQ_INT(d.nerrors, 1);
  CHECK_EQ_INT(diag_exit_code(&d), EK_INVALID);
  CHECK_STR(msgs, "yml/bad_key.yml:7:1: error: unknown key 'inptus' (expected one of: name, "
                  "version, model, inputs, outputs, runtime, serving, preprocessing, build); "
                  "did you mean 'inputs'?\n");
  done(&cfg, &d, msgs);

  CHECK(load("yml/missing_version.yml", &cfg, &d, &msgs) != 0);
  CHECK_STR(msgs, "yml/missing_version.yml:3:1: error: missing required key 'version'\n");
  done(&cfg, &d, msgs);

  CHECK(load("yml/missing_model.yml", &cfg, &d, &msgs) != 0);
  CHECK_STR(msgs, "yml/missing_model.yml:4:11: error: model.source 'missing.onnx' not found "
                  "(resolved to 'yml/missing.onnx')\n");
  done(&cfg, &d, msgs);

  CHECK(load("yml/syntax.yml", &cfg, &d, &msgs) != 0);
  CHECK_EQ_INT(d.nerrors, 1);
  CHECK_CONTAINS(msgs, "yml/syntax.yml:7:8: error: YAML syntax error: did not find expected ',' "
                       "or ']' (while parsing a flow sequence at 6:6)");
  done(&cfg, &d, msgs);

  CHECK(load("yml/empty.yml", &cfg, &d, &msgs) != 0);
  CHECK_CONTAINS(msgs, "yml/empty.yml:1:1: error: the file is empty");
  done(&cfg, &d, msgs);
  CHECK(load("yml/comments_only.yml", &cfg, &d, &msgs) != 0);
  CHECK_CONTAINS(msgs, "yml/comments_only.yml:1:1: error: the file is empty");
  done(&cfg, &d, msgs);

  CHECK(load("yml/nope.yml", &cfg, &d, &msgs) != 0);
  CHECK_STR(msgs, "error: cannot read 'yml/nope.yml': No such file or directory\n");
  done(&cfg, &d, msgs);
  CHECK(load("yml", &cfg, &d, &msgs) != 0);
  CHECK_STR(msgs, "error: cannot read 'yml': Is a directory\n");
  done(&cfg, &d, msgs);
}

/* One file, many problems: every one is reported, in file order. */
TEST(test_many_errors) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK(load("yml/many_errors.yml", &cfg, &d, &msgs) != 0);
  const char *want[] = {
      "yml/many_errors.yml:4:11: error: unsupported model.format 'torchscript' (expected: onnx)",
      "yml/many_errors.yml:7:11: error: 'inputs.x.type' must be a data type: float32, float16,",
      "got 'flaot32'; did you mean 'float32'?",
      "yml/many_errors.yml:8:16: error: 'inputs.x.shape' axis 1 must be an integer >= 0 or a "
      "name for a dynamic dimension, got '1.5'",
      "yml/many_errors.yml:8:21: error: 'inputs.x.shape' axis 2 must be between 0 and",
      "yml/many_errors.yml:10:9: error: 'serving.port' must be an integer between 1 and 65535, "
      "got 'eighty'",
      "yml/many_errors.yml:11:3: error: unknown key 'prot' in 'serving' (expected one of: host, "
      "port, batch_size, timeout); did you mean 'port'?",
      "yml/many_errors.yml:13:11: error: 'build.target' must be one of: c, cpu, cuda, llvm, "
      "auto; got 'gpu'; did you mean 'cpu'?",
      "yml/many_errors.yml:14:13: error: 'build.optimize' must be an integer between 0 and 3 or "
      "a boolean, got '7'",
      "yml/many_errors.yml:1:1: error: missing required key 'version'",
  };
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) CHECK_CONTAINS(msgs, want[i]);
  CHECK_EQ_INT(d.nerrors, 9);
  done(&cfg, &d, msgs);
}

TEST(test_key_errors) {
  EXPECT_ERROR("serving:\n  port: 80\n  port: 81\n", 1,
               "t.yml:7:3: error: duplicate key 'serving.port' (first at 6:3)");
  EXPECT_ERROR("name: again\n", 1, "t.yml:5:1: error: duplicate key 'name' (first at 1:1)");
  EXPECT_ERROR("build:\n  Target: c\n", 1,
               "t.yml:6:3: error: unknown key 'Target' in 'build' (expected one of: target, "
               "optimize, cpu, threads, precision, profile, http, quantize, prune, partition); "
               "did you mean 'target'?");
  EXPECT_ERROR("runtime:\n  gpu:\n    memroy: 2GB\n", 1,
               "t.yml:7:5: error: unknown key 'memroy' in 'runtime.gpu'");
  EXPECT_ERROR("zzzzzz: 1\n", 1, "unknown key 'zzzzzz' (expected one of: name, version, model, "
                                 "inputs, outputs, runtime, serving, preprocessing, build)\n");
  EXPECT_ERROR("? [a, b]\n: 1\n", 1, "t.yml:5:3: error: keys in '(top level)' must be plain "
                                     "names, got a sequence");
  EXPECT_ERROR("inputs:\n  x:\n    shpe: [1]\n", 1,
               "t.yml:7:5: error: unknown key 'shpe' in 'inputs.x' (expected one of: type, "
               "shape, required, description); did you mean 'shape'?");
  EXPECT_ERROR("inputs:\n  x:\n    labels: [a]\n", 1, "unknown key 'labels' in 'inputs.x'");
}

TEST(test_kind_errors) {
  EXPECT_ERROR("serving: [1, 2]\n", 1,
               "t.yml:5:10: error: 'serving' must be a mapping, got a sequence");
  EXPECT_ERROR("runtime:\n  gpu: fast\n", 1,
               "t.yml:6:8: error: 'runtime.gpu' must be a mapping, got 'fast'");
  EXPECT_ERROR("inputs: 5\n", 1, "t.yml:5:9: error: 'inputs' must be a mapping of NAME: spec "
                                 "or a sequence of specs with 'name:', got '5'");
  EXPECT_ERROR("inputs:\n  - x\n", 1,
               "t.yml:6:5: error: 'inputs[0]' must be a mapping with at least 'name:', got 'x'");
  EXPECT_ERROR("inputs:\n  - type: float32\n", 1,
               "t.yml:6:5: error: missing required key 'name' in 'inputs[0]'");
  EXPECT_ERROR("inputs:\n  x: [1, 2]\n", 1, "t.yml:6:6: error: 'inputs.x' must be a mapping");
  EXPECT_ERROR("description: {a: 1}\n", 1, "unknown key 'description'");
  EXPECT_ERROR("preprocessing:\n  tokenizer: [a]\n", 1,
               "t.yml:6:14: error: 'preprocessing.tokenizer' must be a string, got a sequence");
  EXPECT_ERROR("outputs:\n  y:\n    labels: cat\n", 1,
               "t.yml:7:13: error: 'outputs.y.labels' must be a sequence of strings, got 'cat'");
  EXPECT_ERROR("outputs:\n  y:\n    labels: [cat, [dog]]\n", 1,
               "t.yml:7:19: error: 'outputs.y.labels' entry 1 must be a string, got a sequence");
  EXPECT_ERROR("build:\n  prune: [1, 2]\n", 1,
               "t.yml:6:10: error: 'build.prune' must be a string or a mapping of options, got "
               "a sequence");
}

TEST(test_top_level_errors) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK(load_text("- a\n- b\n", &cfg, &d, &msgs) != 0);
  CHECK_CONTAINS(msgs, "t.yml:1:1: error: the top level must be a mapping");
  done(&cfg, &d, msgs);
  CHECK(load_text("---\n", &cfg, &d, &msgs) != 0);
  CHECK_CONTAINS(msgs, "t.yml:1:1: error: the file is empty");
  done(&cfg, &d, msgs);
  CHECK(load_text("version: '1'\nmodel: {}\n", &cfg, &d, &msgs) != 0);
  CHECK_EQ_INT(d.nerrors, 2);
  CHECK_CONTAINS(msgs, "t.yml:1:1: error: missing required key 'name'");
  CHECK_CONTAINS(msgs, "t.yml:2:8: error: missing required key 'model.source'");
  done(&cfg, &d, msgs);
  CHECK(load_text("name: a\nversion: '1'\n", &cfg, &d, &msgs) != 0);
  CHECK_CONTAINS(msgs, "t.yml:1:1: error: missing required key 'model.source'");
  done(&cfg, &d, msgs);
  EXPECT_ERROR("---\nname: b\n", 1, "t.yml:6:1: error: a second YAML document starts here");
  EXPECT_ERROR("x: [\n", 1, "YAML syntax error");
  EXPECT_ERROR("\xff\xfe: 1\n", 1, "t.yml:5:1: error: YAML syntax error: invalid leading UTF-8 "
                                   "octet (byte 0xff)");
  CHECK(load_text("name:\nversion: ''\nmodel:\n  source: stub.onnx\n", &cfg, &d, &msgs) != 0);
  CHECK_CONTAINS(msgs, "t.yml:1:6: error: 'name' must be a non-empty string, got null");
  CHECK_CONTAINS(msgs, "t.yml:2:10: error: 'version' must be a non-empty string, got ''");
  done(&cfg, &d, msgs);
}

TEST(test_shape_errors) {
  EXPECT_ERROR("inputs:\n  x: {shape: [1, 1.5]}\n", 1,
               "t.yml:6:18: error: 'inputs.x.shape' axis 1 must be an integer >= 0 or a name for "
               "a dynamic dimension, got '1.5'");
  EXPECT_ERROR("inputs:\n  x: {shape: [-2]}\n", 1,
               "t.yml:6:15: error: 'inputs.x.shape' axis 0 must be between 0 and 2147483647 (or "
               "-1, '?', null or a name for a dynamic dimension), got '-2'");
  EXPECT_ERROR("inputs:\n  x: {shape: [1, 2, 3, 4, 5, 6, 7, 8, 9]}\n", 1,
               "t.yml:6:14: error: 'inputs.x.shape' has 9 dimensions; at most 8 are supported");
  EXPECT_ERROR("inputs:\n  x: {shape: 1x3x224x224}\n", 1,
               "t.yml:6:14: error: 'inputs.x.shape' must be a sequence of dimensions like [1, 3, "
               "224, 224], got '1x3x224x224'");
  EXPECT_ERROR("inputs:\n  x: {shape: [[1]]}\n", 1, "axis 0 must be an integer >= 0 or a name");
  EXPECT_ERROR("inputs:\n  x: {shape: [1, 'two words']}\n", 1, "got 'two words'");
  EXPECT_ERROR("inputs:\n  x: {shape: [99999999999999999999]}\n", 1, "axis 0 must be an integer");

  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK_EQ_INT(load_text(HEAD "inputs:\n  x: {shape: []}\n  y: {shape: [N, seq_len, '3', ~]}\n",
                         &cfg, &d, &msgs), 0);
  if (cfg.ninputs == 2) {
    CHECK_EQ_INT(cfg.inputs[0].has_shape, 1);
    CHECK_EQ_INT(cfg.inputs[0].rank, 0);
    CHECK_EQ_INT(cfg.inputs[1].rank, 4);
    CHECK(cfg.inputs[1].dims[0] == -1 && cfg.inputs[1].dims[1] == -1);
    CHECK(cfg.inputs[1].dims[2] == 3 && cfg.inputs[1].dims[3] == -1);
  }
  done(&cfg, &d, msgs);
}

TEST(test_listed_twice) {
  EXPECT_ERROR("inputs:\n  - name: x\n  - name: y\n  - name: x\n", 1,
               "t.yml:8:5: error: input 'x' listed twice (first at 6:5)");
  EXPECT_ERROR("outputs:\n  y: {}\n  y: {}\n", 1,
               "t.yml:7:3: error: output 'y' listed twice (first at 6:3)");
  /* an input and an output may share nothing but may have the same name */
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK_EQ_INT(load_text(HEAD "inputs: {x: }\noutputs: [{name: x}]\n", &cfg, &d, &msgs), 0);
  CHECK_EQ_INT(cfg.ninputs, 1);
  CHECK_EQ_INT(cfg.noutputs, 1);
  done(&cfg, &d, msgs);
}

TEST(test_value_errors) {
  EXPECT_ERROR("serving:\n  port: 70000\n", 1,
               "t.yml:6:9: error: 'serving.port' must be an integer between 1 and 65535, got "
               "'70000'");
  EXPECT_ERROR("serving:\n  port:\n", 1, "'serving.port' must be an integer between 1 and "
                                         "65535, got null");
  EXPECT_ERROR("runtime:\n  batch_size: 0\n", 1,
               "t.yml:6:15: error: 'runtime.batch_size' must be an integer >= 1, got '0'");
  EXPECT_ERROR("runtime:\n  timeout: 1.5\n", 1, "'runtime.timeout' must be an integer >= 1");
  EXPECT_ERROR("runtime:\n  timeout: 0x10\n", 1, "got '0x10'");
  EXPECT_ERROR("runtime:\n  timeout: 1e3\n", 1, "got '1e3'");
  EXPECT_ERROR("serving:\n  batch_size: abc\n", 1, "got 'abc'");
  EXPECT_ERROR("runtime:\n  gpu: {memory: lots}\n", 1,
               "t.yml:6:17: error: 'runtime.gpu.memory' must be a size like \"2GB\", \"512MB\" or "
               "\"1.5GiB\", got 'lots'");
  EXPECT_ERROR("runtime:\n  gpu: {memory: 0GB}\n", 1, "'runtime.gpu.memory' must be a size");
  EXPECT_ERROR("build:\n  profile: maybe\n", 1,
               "t.yml:6:12: error: 'build.profile' must be a boolean (true/false, yes/no, "
               "on/off), got 'maybe'");
  EXPECT_ERROR("build:\n  precision: fp64\n", 1,
               "'build.precision' must be one of: fp32, fp16, bf16, int8; got 'fp64'; did you "
               "mean 'fp32'?");
  EXPECT_ERROR("build:\n  target: [c]\n", 1, "'build.target' must be one of: c, cpu, cuda, "
                                             "llvm, auto; got a sequence");
  EXPECT_ERROR("build:\n  optimize: -1\n", 1, "'build.optimize' must be an integer between 0");
  EXPECT_ERROR("inputs:\n  x: {type: complex64}\n", 1, "'inputs.x.type' must be a data type");
  EXPECT_ERROR("inputs:\n  x: {type: }\n", 1, "'inputs.x.type' must be a data type");
  EXPECT_ERROR("inputs:\n  x: {required: 2}\n", 1, "'inputs.x.required' must be a boolean");
  EXPECT_ERROR("preprocessing:\n  resize: [224]\n", 1,
               "t.yml:6:11: error: 'preprocessing.resize' must be two integers [width, height], "
               "got a sequence");
  EXPECT_ERROR("preprocessing:\n  resize: [224, 0]\n", 1,
               "t.yml:6:17: error: 'preprocessing.resize' must be an integer >= 1, got '0'");
  EXPECT_ERROR("preprocessing:\n  max_length: -5\n", 1, "'preprocessing.max_length' must be");
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  CHECK(load_text("name: a\nversion: '1'\nmodel: {source: stub.onnx, format: tflite}\n", &cfg,
                  &d, &msgs) != 0);
  CHECK_CONTAINS(msgs, "t.yml:3:36: error: unsupported model.format 'tflite' (expected: onnx)\n");
  done(&cfg, &d, msgs);
}

/* Scalars that are accepted, and how they are stored. */
TEST(test_scalars) {
  GpuxConfig cfg;
  Diag d;
  char *msgs;
  const char *text = "name: 42\nversion: 2\nmodel:\n  source: stub.onnx\n  format: ONNX\n"
                     "  version:\nserving:\n  port: '8081'\n  timeout: +7\n"
                     "build:\n  profile: YES\n  http: Off\n  optimize: false\n  target: CUDA\n"
                     "  quantize: false\n"
                     "  prune: {sparsity: 0.5, layers: [a, b], note: '', 'x': 'a, \"b\"'}\n"
                     "  partition: ~\nruntime:\n  gpu:\n    backend:\n    memory: 1.5 GiB\n"
                     "inputs:\n  'odd name': {type: Float16, description: }\n";
  CHECK_EQ_INT(load_text(text, &cfg, &d, &msgs), 0);
  CHECK_STR(msgs, "");
  CHECK_STR(cfg.name, "42");
  CHECK_STR(cfg.version, "2");
  CHECK_STR(cfg.model_format, "onnx");
  CHECK(cfg.model_version == NULL);
  CHECK_EQ_INT(cfg.serving.port, 8081);
  CHECK_EQ_INT(cfg.serving.timeout, 7);
  CHECK_EQ_INT(cfg.build.profile, 1);
  CHECK_EQ_INT(cfg.build.http, 0);
  CHECK_EQ_INT(cfg.build.optimize, 0);
  CHECK_STR(cfg.build.target, "cuda");
  CHECK(cfg.build.quantize == NULL && cfg.build.partition == NULL);
  CHECK_STR(cfg.build.prune,
            "{sparsity: 0.5, layers: [a, b], note: \"\", \"x\": \"a, \\\"b\\\"\"}");
  CHECK_STR(cfg.runtime.backend, "auto");
  CHECK_EQ_INT(cfg.runtime.memory_bytes, 3LL << 29);
  CHECK_EQ_INT(cfg.ninputs, 1);
  if (cfg.ninputs == 1) {
    CHECK_STR(cfg.inputs[0].name, "odd name");
    CHECK_STR(cfg.inputs[0].type, "Float16");
    CHECK_EQ_INT(cfg.inputs[0].dtype, DT_F16);
    CHECK_EQ_INT(cfg.inputs[0].has_shape, 0);
  }
  done(&cfg, &d, msgs);

  /* an alias that contains itself is shortened, not followed forever */
  CHECK_EQ_INT(load_text(HEAD "build:\n  quantize: &q {a: *q, b: 1}\n", &cfg, &d, &msgs), 0);
  CHECK_CONTAINS(cfg.build.quantize, "{a: {a: {a: {a: ..., b: 1}");
  done(&cfg, &d, msgs);
}

TEST(test_parse_size) {
  CHECK_EQ_INT(cfg_parse_size("1024"), 1024);
  CHECK_EQ_INT(cfg_parse_size("0"), 0);
  CHECK_EQ_INT(cfg_parse_size("2GB"), 2LL << 30);
  CHECK_EQ_INT(cfg_parse_size("2gb"), 2LL << 30);
  CHECK_EQ_INT(cfg_parse_size("512MB"), 512LL << 20);
  CHECK_EQ_INT(cfg_parse_size("512 MiB"), 512LL << 20);
  CHECK_EQ_INT(cfg_parse_size("1.5GiB"), 3LL << 29);
  CHECK_EQ_INT(cfg_parse_size("100KB"), 102400);
  CHECK_EQ_INT(cfg_parse_size("100k"), 102400);
  CHECK_EQ_INT(cfg_parse_size("64B"), 64);
  CHECK_EQ_INT(cfg_parse_size("1TB"), 1LL << 40);
  CHECK_EQ_INT(cfg_parse_size(" 3 G "), 3LL << 30);
  CHECK_EQ_INT(cfg_parse_size("0.5KB"), 512);
  CHECK_EQ_INT(cfg_parse_size("1.5"), -1);
  CHECK_EQ_INT(cfg_parse_size(""), -1);
  CHECK_EQ_INT(cfg_parse_size("GB"), -1);
  CHECK_EQ_INT(cfg_parse_size("-1GB"), -1);
  CHECK_EQ_INT(cfg_parse_size("2XB"), -1);
  CHECK_EQ_INT(cfg_parse_size("2 G B"), -1);
  CHECK_EQ_INT(cfg_parse_size("2GBB"), -1);
  CHECK_EQ_INT(cfg_parse_size("1."), -1);
  CHECK_EQ_INT(cfg_parse_size("lots"), -1);
  CHECK_EQ_INT(cfg_parse_size("99999999999TB"), -1);
  CHECK_EQ_INT(cfg_parse_size("99999999999999999999999"), -1);
  CHECK_EQ_INT(cfg_parse_size(NULL), -1);
}

/* A small deterministic generator, so a failing mutation can be replayed. */
static uint32_t rng_state = 12345;
static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

/* 1-4 edits: truncate, flip a bit, put a YAML character or any byte,
 * delete a run, or copy a run of the file elsewhere. */
static void mutate(const char *src, size_t n, StrBuf *out) {
  static const char SPECIAL[] = ":-[]{}&*!|>'\"#%@,? \n\t~0a\\";
  StrBuf tmp;
  sb_reset(out);
  sb_putn(out, src, n);
  int k = 1 + (int)(rng() % 4);
  for (int i = 0; i < k && out->len > 0; i++) {
    size_t at = rng() % out->len, run = 1 + rng() % 16;
    run = MIN(run, out->len - at);
    switch (rng() % 6) {
    case 0: out->len = at; out->s[at] = 0; break;
    case 1: out->s[at] ^= (char)(1u << (rng() % 8)); break;
    case 2: out->s[at] = SPECIAL[rng() % (sizeof SPECIAL - 1)]; break;
    case 3: out->s[at] = (char)(rng() % 256); break;
    case 4:
      memmove(out->s + at, out->s + at + run, out->len - at - run + 1);
      out->len -= run;
      break;
    default:
      sb_init(&tmp);
      sb_putn(&tmp, out->s, at);
      sb_putn(&tmp, src + rng() % n / 2, run);
      sb_puts(&tmp, out->s + at);
      sb_free(out);
      *out = tmp;
    }
  }
}

TEST(test_fuzz) {
  static const char *const BASES[] = {"yml/full.yml", "yml/list_inputs.yml",
                                      "yml/many_errors.yml", "yml/bad_key.yml"};
  char *src[4], path[128];
  size_t len[4];
  int ok = 0, failed = 0;
  for (int i = 0; i < 4; i++) CHECK_EQ_INT(read_file(BASES[i], &src[i], &len[i]), 0);
  snprintf(path, sizeof path, "%s/t.yml", tmpdir);
  StrBuf m;
  sb_init(&m);
  for (int i = 0; i < 2000; i++) {
    int b = i % 8 < 5 ? 0 : i % 8 < 7 ? 1 : 2 + (i / 8) % 2; /* mostly valid bases */
    mutate(src[b], len[b], &m);
    write_file(path, m.s, m.len);
    GpuxConfig cfg;
    Diag d;
    diag_init(&d);
    int rc = cfg_load(path, &cfg, &d);
    if (rc == 0) {
      ok++;
      CHECK(d.nerrors == 0 && cfg.name && cfg.version && cfg.model_path);
      for (int j = 0; j < cfg.ninputs; j++) CHECK(cfg.inputs[j].name && cfg.inputs[j].rank >= 0);
      for (int j = 0; j < cfg.noutputs; j++) CHECK(cfg.outputs[j].name != NULL);
    } else {
      failed++;
      CHECK(rc == -1 && d.nerrors > 0 && cfg.name == NULL && cfg.path == NULL);
      for (int j = 0; j < d.n; j++) CHECK(strstr(d.msgs[j].text, "error: ") != NULL);
    }
    cfg_free(&cfg);
    diag_free(&d);
  }
  fprintf(stderr, "     fuzz: %d loaded, %d rejected\n", ok, failed);
  CHECK(ok > 0 && failed > 0);
  sb_free(&m);
  for (int i = 0; i < 4; i++) free(src[i]);
}

int main(void) {
  char model[96];
  snprintf(tmpdir, sizeof tmpdir, "/tmp/gpuxc_cfg_XXXXXX");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  snprintf(model, sizeof model, "%s/stub.onnx", tmpdir);
  write_file(model, "", 0);
  RUN(test_full);
  RUN(test_full_sections);
  RUN(test_list_form);
  RUN(test_defaults);
  RUN(test_relative_path);
  RUN(test_fixture_errors);
  RUN(test_many_errors);
  RUN(test_key_errors);
  RUN(test_kind_errors);
  RUN(test_top_level_errors);
  RUN(test_shape_errors);
  RUN(test_listed_twice);
  RUN(test_value_errors);
  RUN(test_scalars);
  RUN(test_parse_size);
  RUN(test_fuzz);
  char t[128];
  snprintf(t, sizeof t, "%s/t.yml", tmpdir);
  unlink(t);
  unlink(model);
  rmdir(tmpdir);
  TEST_MAIN_END();
}
