package otlpgrpc

// RawMessage carries a gRPC message's encoded bytes through gRPC's proto
// codec untouched (the codec wraps it as a legacy message and calls its
// Marshal and Unmarshal). Receivers declare their services with RawMessage
// as request and response type and decode in the handler, so that a
// payload that does not decode can be answered InvalidArgument.
type RawMessage struct{ B []byte }

// Reset, String and ProtoMessage make RawMessage a (legacy) proto message.
func (m *RawMessage) Reset()         { m.B = nil }
func (m *RawMessage) String() string { return "RawMessage" }
func (*RawMessage) ProtoMessage()    {}

// Marshal returns the bytes as they are.
func (m *RawMessage) Marshal() ([]byte, error) { return m.B, nil }

// Unmarshal keeps a copy of b: gRPC reuses its receive buffers.
func (m *RawMessage) Unmarshal(b []byte) error {
	m.B = append(m.B[:0], b...)
	return nil
}
