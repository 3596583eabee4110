using System.Buffers;
using System.IO.Pipelines;

namespace Gateway.Edge;

/// <summary>
/// The input Kestrel reads for a connection the edge has already read from: the bytes the edge took while routing
/// (the ClientHello) first, then the socket's own input.
/// </summary>
/// <param name="replay">Rented from the shared array pool; returned once read or when the reader completes.</param>
internal sealed class ReplayPipeReader(byte[] replay, int length, PipeReader inner) : PipeReader
{
    private byte[]? _replay = replay;
    private int _offset;
    private int _length = length;
    private bool _wantsMore;
    private bool _cancelPending;
    private volatile bool _joining;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        _replay is null ? inner.ReadAsync(cancellationToken) // every read after the first few: no state machine of its own
        : cancellationToken.IsCancellationRequested ? ValueTask.FromCanceled<ReadResult>(cancellationToken)
        : TakeCancel() ? new(new ReadResult(Pending, isCanceled: true, isCompleted: false))
        : _wantsMore ? ReadJoinedAsync(cancellationToken)
        : new(new ReadResult(Pending, isCanceled: false, isCompleted: false));

    /// <summary>The reader looked at every replayed byte and consumed only some: join them with what comes next.</summary>
    private async ValueTask<ReadResult> ReadJoinedAsync(CancellationToken cancellationToken)
    {
        ReadResult next;
        _joining = true;
        try
        {
            next = await inner.ReadAsync(cancellationToken);
        }
        finally
        {
            _joining = false;
        }

        Append(next.Buffer);
        inner.AdvanceTo(next.Buffer.End);
        _wantsMore = false;
        return new ReadResult(Pending, next.IsCanceled, next.IsCompleted);
    }

    public override bool TryRead(out ReadResult result)
    {
        if (_replay is null)
        {
            return inner.TryRead(out result);
        }

        var canceled = TakeCancel();
        result = new ReadResult(Pending, canceled, isCompleted: false);
        return canceled || !_wantsMore;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        if (_replay is null)
        {
            inner.AdvanceTo(consumed, examined);
            return;
        }

        // Positions in a sequence over one array are indexes into that array.
        _offset = consumed.GetInteger();
        if (_offset >= _length)
        {
            Release();
            return;
        }

        _wantsMore = examined.GetInteger() >= _length;
    }

    public override void CancelPendingRead()
    {
        // While replaying, no read is pending on the socket's input (unless joining): the next read here reports it instead.
        if (_replay is null || _joining)
        {
            inner.CancelPendingRead();
        }
        else
        {
            _cancelPending = true;
        }
    }

    private bool TakeCancel()
    {
        var canceled = _cancelPending;
        _cancelPending = false;
        return canceled;
    }

    public override void Complete(Exception? exception = null)
    {
        Release();
        inner.Complete(exception);
    }

    private ReadOnlySequence<byte> Pending => new(_replay!, _offset, _length - _offset);

    private void Append(ReadOnlySequence<byte> more)
    {
        var joined = ArrayPool<byte>.Shared.Rent(_length - _offset + (int)more.Length);
        _replay.AsSpan(_offset, _length - _offset).CopyTo(joined);
        more.CopyTo(joined.AsSpan(_length - _offset));
        var length = _length - _offset + (int)more.Length;
        Release();
        (_replay, _offset, _length) = (joined, 0, length);
    }

    private void Release()
    {
        if (_replay is not null)
        {
            ArrayPool<byte>.Shared.Return(_replay);
            _replay = null;
        }
    }
}
