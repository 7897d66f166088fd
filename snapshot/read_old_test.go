package snapshot

// The reader as it was before the splitter (json.Decoder tokens, one
// RawMessage per object): the reference of TestReadMatchesDecoder and
// FuzzRead.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
)

// readStream decodes a snapshot document: the fields other than objects
// with encoding/json as they come, each element of objects as raw JSON
// handed to one decoder per core, in batches, so that reading the stream
// and decoding the objects overlap. Field names match as encoding/json
// matches them (case-insensitively; the last of repeated fields wins).
func oldReadStream(r io.Reader, each func(*Object), value ValueFunc) (*Snapshot, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := oldDelim(dec, '{'); err != nil {
		return nil, err
	}
	header := map[string]json.RawMessage{}
	var objects []Object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if !strings.EqualFold(key, "objects") {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, err
			}
			header[key] = raw
			continue
		}
		if objects, err = oldReadObjects(dec, each, value); err != nil {
			return nil, err
		}
	}
	if err := oldDelim(dec, '}'); err != nil {
		return nil, err
	}
	b, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	hd := json.NewDecoder(bytes.NewReader(b))
	hd.UseNumber()
	var s Snapshot
	if err := hd.Decode(&s); err != nil {
		return nil, err
	}
	s.Objects = objects
	return &s, nil
}

func oldDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, found %v", want, tok)
	}
	return nil
}

type oldBatch struct {
	start int
	raw   []json.RawMessage
}

// readObjects decodes the objects array (or null) at the decoder's
// position. value, when not nil, decodes the elements it can (see
// ReadValues); the others are decoded with encoding/json and given to each.
func oldReadObjects(dec *json.Decoder, each func(*Object), value ValueFunc) ([]Object, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil {
		return nil, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("objects: want an array, found %v", tok)
	}
	var (
		mu       sync.Mutex
		decoded  = map[int][]Object{} // by batch start
		firstErr error
		errAt    = -1
	)
	jobs := make(chan oldBatch, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var fast *fastDecoder
			if value != nil {
				fast = &fastDecoder{}
			}
			for b := range jobs {
				out := make([]Object, len(b.raw))
				for i, raw := range b.raw {
					if fast != nil && fast.decode(raw, &out[i], value) {
						continue
					}
					d := json.NewDecoder(bytes.NewReader(raw))
					d.UseNumber()
					if err := d.Decode(&out[i]); err != nil {
						mu.Lock()
						if errAt < 0 || b.start+i < errAt {
							errAt, firstErr = b.start+i, fmt.Errorf("objects[%d]: %w", b.start+i, err)
						}
						mu.Unlock()
						break
					}
					if each != nil && out[i].Object != nil {
						each(&out[i])
					}
				}
				mu.Lock()
				decoded[b.start] = out
				mu.Unlock()
			}
		}()
	}
	n := 0
	cur := oldBatch{}
	var readErr error
	for dec.More() {
		var raw json.RawMessage
		if readErr = dec.Decode(&raw); readErr != nil {
			break
		}
		cur.raw = append(cur.raw, raw)
		n++
		if len(cur.raw) == readBatch {
			jobs <- cur
			cur = oldBatch{start: n}
		}
	}
	if len(cur.raw) > 0 {
		jobs <- cur
	}
	close(jobs)
	wg.Wait()
	if readErr != nil {
		return nil, readErr
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if tok, err := dec.Token(); err != nil {
		return nil, err
	} else if d, ok := tok.(json.Delim); !ok || d != ']' {
		return nil, errors.New("objects: unterminated array")
	}
	objects := make([]Object, 0, n)
	for start := 0; start < n; start += readBatch {
		objects = append(objects, decoded[start]...)
	}
	return objects, nil
}
