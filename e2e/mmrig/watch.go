package mmrig

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// Watch collects what the server pushes to one user over a WebSocket of their own, as the
// web app receives it: private replies (ephemeral_message) and opened dialogs (open_dialog)
// above all. It holds every event received since it was opened (or only those of the kinds it
// was opened for); it reconnects by itself when the connection drops (Mattermost restarted),
// and events sent while it was down are lost.
type Watch struct {
	user *User
	// keep holds the kinds of events kept (and hello); nil keeps all.
	keep map[model.WebsocketEventType]bool
	mu   sync.Mutex
	// events are all events received, oldest first; changed is closed and replaced on each.
	events  []*model.WebSocketEvent
	changed chan struct{}
	closed  bool
	ws      *model.WebSocketClient
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
		for _, k := range kinds {
			w.keep[k] = true
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

func (w *Watch) connect() error {
	url := strings.Replace(w.user.rig.mm.url(), "http://", "ws://", 1)
	ws, err := model.NewWebSocketClient4(url, w.user.Token)
	if err != nil {
		return err
	}
	ws.Listen()
	w.mu.Lock()
	w.ws = ws
	w.mu.Unlock()
	return nil
}

// run drains the connection into events, reconnecting with backoff when it drops, until Close.
func (w *Watch) run() {
	backoff := 200 * time.Millisecond
	for {
		w.mu.Lock()
		ws := w.ws
		w.mu.Unlock()
		if ws != nil {
			w.drain(ws)
		}
		select {
		case <-w.done:
			return
		case <-time.After(backoff):
		}
		if err := w.connect(); err != nil {
			backoff = min(2*backoff, 3*time.Second)
			w.mu.Lock()
			w.ws = nil
			w.mu.Unlock()
			continue
		}
		backoff = 200 * time.Millisecond
	}
}

func (w *Watch) drain(ws *model.WebSocketClient) {
	for {
		select {
		case ev, ok := <-ws.EventChannel:
			if !ok {
				return
			}
			if w.keep != nil && !w.keep[ev.EventType()] {
				continue
			}
			w.mu.Lock()
			w.events = append(w.events, ev)
			close(w.changed)
			w.changed = make(chan struct{})
			w.mu.Unlock()
		case _, ok := <-ws.ResponseChannel:
			if !ok {
				return
			}
		case <-ws.PingTimeoutChannel:
			// A ping late under load is not a dropped connection: its end (Mattermost
			// stopped) is seen by the reader, which closes EventChannel. Closing here lost
			// the events of the reconnection's gap.
		case <-w.done:
			// Only the connection is closed: the client's reader then cleans up in its own
			// goroutine. Its Close, called while a ping is being answered, panics (send on
			// a closed channel) in this version of the client.
			ws.Conn.Close()
			return
		}
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
