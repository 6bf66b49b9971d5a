# SPDX-License-Identifier: MIT
# Writes OUT, a C file defining `const char openapi_doc[]` (NUL-terminated)
# and `const unsigned long openapi_doc_len` from the bytes of IN.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
file(WRITE ${OUT} "/* Generated from openapi/openapi.json; do not edit. */\n"
  "extern const char openapi_doc[];\nextern const unsigned long openapi_doc_len;\n"
  "const char openapi_doc[] = {\n${body}0x00};\n"
  "const unsigned long openapi_doc_len = ${len}UL;\n")
