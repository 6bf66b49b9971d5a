# SPDX-License-Identifier: MIT
# Writes OUT, a C file defining `const char NAME[]` (the bytes of IN plus a
# NUL) and `const unsigned long NAME_len` (the byte count of IN). Run with
# cmake -DIN=... -DOUT=... -DNAME=... -P embed.cmake.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
get_filename_component(src ${IN} NAME)
file(WRITE ${OUT} "/* Generated from ${src}; do not edit. */\n"
  "extern const char ${NAME}[];\nextern const unsigned long ${NAME}_len;\n"
  "const char ${NAME}[] = {\n${body}0x00};\n"
  "const unsigned long ${NAME}_len = ${len}UL;\n")
