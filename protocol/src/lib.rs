//! Tower wire protocol: control messages (protobuf), datagram codecs, quantization and the snapshot delta codec. Pure, no I/O.
