package mmrig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/mattermost/mattermost/server/public/model"
)

// Watch collects what the server pushes to one user over a WebSocket of their own, as the
// web app receives it: private replies (ephemeral_message) and opened dialogs (open_dialog)
// above all. It holds every event received since it was opened (or only those of the kinds it
// was opened for); it reconnects by itself when the connection drops (Mattermost restarted),
// and events sent while it was down are lost.
//
// It reads the connection itself rather than through the Mattermost client's WebSocket: that
// client decodes every event, and hundreds of members watching a busy channel then spend the
// test's CPU decoding edits of posts they do not keep, read too slowly, and Mattermost drops
// what it cannot send them (its log says "websocket.full"), private replies included. A watch
// opened for some kinds decodes only the messages that name one of them.
type Watch struct {
	user *User
	// keep holds the kinds of events kept (and hello); nil keeps all.
	keep map[model.WebsocketEventType]bool
	// names are the kinds kept, as they appear quoted in a message: a message naming none of
	// them is not decoded.
	names [][]byte
	mu    sync.Mutex
	// events are all events received, oldest first; changed is closed and replaced on each.
	events  []*model.WebSocketEvent
	changed chan struct{}
	closed  bool
	conn    *websocket.Conn
	done    chan struct{}
}

// Watch opens a WebSocket for the user and returns once the server has greeted it, so that
// whatever happens next is seen. It keeps the events of the kinds given, or all if none is
// given: hundreds of members watching a busy channel for their private answers would
// otherwise hold every edit of every post in it. It is closed when the test ends.
func (u *User) Watch(t testing.TB, kinds ...model.WebsocketEventType) *Watch {
	t.Helper()
	w := &Watch{user: u, changed: make(chan struct{}), done: make(chan struct{})}
	if len(kinds) > 0 {
		w.keep = map[model.WebsocketEventType]bool{model.WebsocketEventHello: true}
		for _, k := range append(kinds, model.WebsocketEventHello) {
			w.keep[k] = true
			w.names = append(w.names, []byte(`"`+string(k)+`"`))
		}
	}
	if err := w.connect(); err != nil {
		u.rig.Fatalf(t, "open a WebSocket as %s: %v", u.Username, err)
	}
	go w.run()
	deadline := time.After(20 * time.Second)
	for {
		if w.find(model.WebsocketEventHello, nil) != nil {
			break
		}
		select {
		case <-w.wait():
		case <-deadline:
			w.Close()
			u.rig.Fatalf(t, "the WebSocket of %s got no hello from the server within 20 s", u.Username)
		}
	}
	t.Cleanup(w.Close)
	return w
}

// connect opens the connection, authenticated by the user's token, as the Mattermost client
// does (the header, then the challenge).
func (w *Watch) connect() error {
	url := strings.Replace(w.user.rig.mm.url(), "http://", "ws://", 1) + model.APIURLSuffix + "/websocket"
	header := http.Header{}
	header.Set(model.HeaderAuth, model.HeaderBearer+" "+w.user.Token)
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second}
	conn, _, err := dialer.Dial(url, header)
	if err != nil {
		return err
	}
	challenge, _ := json.Marshal(map[string]any{"seq": 1, "action": string(model.WebsocketAuthenticationChallenge),
		"data": map[string]any{"token": w.user.Token}})
	if err := conn.WriteMessage(websocket.TextMessage, challenge); err != nil {
		conn.Close()
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		conn.Close()
		return nil
	}
	w.conn = conn
	return nil
}

// run drains the connection into events, reconnecting with backoff when it drops, until Close.
func (w *Watch) run() {
	backoff := 200 * time.Millisecond
	for {
		w.mu.Lock()
		conn := w.conn
		w.mu.Unlock()
		if conn != nil {
			w.drain(conn)
		}
		select {
		case <-w.done:
			return
		case <-time.After(backoff):
		}
		if err := w.connect(); err != nil {
			backoff = min(2*backoff, 3*time.Second)
			w.mu.Lock()
			w.conn = nil
			w.mu.Unlock()
			continue
		}
		backoff = 200 * time.Millisecond
	}
}

// drain reads the connection until it ends (closed by the server, or by Close). Pings are
// answered while it reads.
func (w *Watch) drain(conn *websocket.Conn) {
	defer conn.Close()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		if w.names != nil && !slices.ContainsFunc(w.names, func(name []byte) bool { return bytes.Contains(data, name) }) {
			continue
		}
		ev, err := model.WebSocketEventFromJSON(bytes.NewReader(data))
		if err != nil || ev == nil || ev.EventType() == "" {
			continue // a response to the challenge, not an event
		}
		if w.keep != nil && !w.keep[ev.EventType()] {
			continue
		}
		w.mu.Lock()
		w.events = append(w.events, ev)
		close(w.changed)
		w.changed = make(chan struct{})
		w.mu.Unlock()
	}
}

// Close closes the WebSocket. Closing twice does nothing.
func (w *Watch) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	close(w.done)
	if w.conn != nil {
		w.conn.Close()
	}
}

func (w *Watch) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

func (w *Watch) find(kind model.WebsocketEventType, match func(*model.WebSocketEvent) bool) *model.WebSocketEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ev := range w.events {
		if ev.EventType() == kind && (match == nil || match(ev)) {
			return ev
		}
	}
	return nil
}

// Events returns the events of that kind received so far, oldest first.
func (w *Watch) Events(kind model.WebsocketEventType) []*model.WebSocketEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*model.WebSocketEvent
	for _, ev := range w.events {
		if ev.EventType() == kind {
			out = append(out, ev)
		}
	}
	return out
}

// Wait waits until an event of that kind matches (match nil: any) and returns it, failing the
// test after Options.WaitTimeout.
func (w *Watch) Wait(t testing.TB, kind model.WebsocketEventType, match func(*model.WebSocketEvent) bool) *model.WebSocketEvent {
	t.Helper()
	deadline := time.After(w.user.rig.opts.WaitTimeout)
	for {
		changed := w.wait()
		if ev := w.find(kind, match); ev != nil {
			return ev
		}
		select {
		case <-changed:
		case <-deadline:
			w.user.rig.Fatalf(t, "%s received no matching %s event within %s; received: %s",
				w.user.Username, kind, w.user.rig.opts.WaitTimeout, w.summary())
		}
	}
}

// Ephemeral waits until the user receives a private reply (an ephemeral post) that matches
// (match nil: any) and returns it.
func (w *Watch) Ephemeral(t testing.TB, match func(p *model.Post) bool) *model.Post {
	t.Helper()
	var post *model.Post
	w.Wait(t, model.WebsocketEventEphemeralMessage, func(ev *model.WebSocketEvent) bool {
		p, err := EventPost(ev)
		if err != nil || (match != nil && !match(p)) {
			return false
		}
		post = p
		return true
	})
	return post
}

// Ephemerals returns the private replies received so far, oldest first.
func (w *Watch) Ephemerals() []*model.Post {
	var out []*model.Post
	for _, ev := range w.Events(model.WebsocketEventEphemeralMessage) {
		if p, err := EventPost(ev); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// Dialog waits until a dialog opens for the user that matches (match nil: any) and returns
// it: its URL, callback id, state and elements, as needed to submit it
// (Client.SubmitInteractiveDialog).
func (w *Watch) Dialog(t testing.TB, match func(d *model.OpenDialogRequest) bool) *model.OpenDialogRequest {
	t.Helper()
	var dialog *model.OpenDialogRequest
	w.Wait(t, model.WebsocketEventOpenDialog, func(ev *model.WebSocketEvent) bool {
		d, err := EventDialog(ev)
		if err != nil || (match != nil && !match(d)) {
			return false
		}
		dialog = d
		return true
	})
	return dialog
}

// EventPost decodes the post an event carries (posted, post_edited, ephemeral_message).
func EventPost(ev *model.WebSocketEvent) (*model.Post, error) {
	raw, ok := ev.GetData()["post"].(string)
	if !ok {
		return nil, fmt.Errorf("event %s carries no post", ev.EventType())
	}
	var p model.Post
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// EventDialog decodes the dialog an open_dialog event carries.
func EventDialog(ev *model.WebSocketEvent) (*model.OpenDialogRequest, error) {
	raw, ok := ev.GetData()["dialog"].(string)
	if !ok {
		return nil, fmt.Errorf("event %s carries no dialog", ev.EventType())
	}
	var d model.OpenDialogRequest
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		return nil, err
	}
	return &d, nil
}

func (w *Watch) summary() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var parts []string
	for _, ev := range w.events {
		s := string(ev.EventType())
		if ev.EventType() == model.WebsocketEventEphemeralMessage {
			if p, err := EventPost(ev); err == nil {
				s += fmt.Sprintf("(%q)", p.Message)
			}
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}
